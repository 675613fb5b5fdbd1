# EMBERKV_SANITIZE=address builds everything with AddressSanitizer and
# UndefinedBehaviorSanitizer; EMBERKV_SANITIZE=thread with ThreadSanitizer.
#
# Sanitized builds are optimized with -O1 and carry line tables only (-g1):
# that is what the sanitizers' reports need (file and line in every frame),
# and it compiles in about half the time of -O2 -g, which the test command
# pays on every run.
if(EMBERKV_FUZZ)
  # Everything is instrumented for coverage; the harnesses add the fuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(EMBERKV_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      -O1 -g1)
  add_link_options(-fsanitize=address,undefined)
elseif(EMBERKV_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -O1 -g1)
  add_link_options(-fsanitize=thread)
elseif(NOT EMBERKV_SANITIZE STREQUAL "")
  message(FATAL_ERROR "EMBERKV_SANITIZE must be '', 'address' or 'thread'")
endif()

# emberkv_test_instrumentation(<target>): a unit-test program's own files
# keep AddressSanitizer (they build the inputs the code under test reads) but
# drop UBSan's checks, which cost a third of their compile time and would
# check the tests' arithmetic rather than ours; the libraries under test keep
# every check.
function(emberkv_test_instrumentation target)
  if(EMBERKV_SANITIZE STREQUAL "address")
    target_compile_options(${target} PRIVATE -fno-sanitize=undefined)
  endif()
endfunction()
