# EMBERKV_SANITIZE=address builds everything with AddressSanitizer and
# UndefinedBehaviorSanitizer; EMBERKV_SANITIZE=thread with ThreadSanitizer.
if(EMBERKV_FUZZ)
  # Everything is instrumented for coverage; the harnesses add the fuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(EMBERKV_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(EMBERKV_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT EMBERKV_SANITIZE STREQUAL "")
  message(FATAL_ERROR "EMBERKV_SANITIZE must be '', 'address' or 'thread'")
endif()
