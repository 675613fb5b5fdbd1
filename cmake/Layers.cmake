# Include paths that follow the layering.
#
# Sources include headers by their path from the repository's root
# ("storage/database.h"). Adding the root itself as an include directory would
# let any file include any header, so storage/ could include a header-only
# file of server/ and only review would notice. Instead each folder is
# published on its own: the build tree gets a directory per folder holding one
# link to it,
#
#   build/<dir>/layers/storage/storage -> <source>/storage
#
# and that directory is an include directory of the folder's target only.
# A header is therefore visible exactly where the target that owns it is
# linked: emberkv_storage links emberkv_base, so storage sees base/ and
# storage/; it does not link emberkv_server, so "server/..." is not found
# there and the compiler stops. tests/layering proves it.

# emberkv_include_folder(<target> <PUBLIC|PRIVATE|INTERFACE> <folder>)
# Makes "<folder>/..." includable by <target> and, for PUBLIC or INTERFACE,
# by whatever links it.
function(emberkv_include_folder target scope folder)
  set(root ${PROJECT_BINARY_DIR}/layers/${folder})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${root}/${folder} SYMBOLIC)
  target_include_directories(${target} ${scope} ${root})
endfunction()
