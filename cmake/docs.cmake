# The API reference: `cmake --build build --target docs` runs Doxygen over the public headers (the ones installed)
# and docs/mainpage.md, writing build/docs/html/index.html. Any Doxygen warning fails the target.
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  return()
endif()
set(ELUCID_DOCS_DIR ${PROJECT_BINARY_DIR}/docs)
# Read through the build tree's include/elucid link, so the pages show #include <elucid/core/tensor.hpp>.
list(TRANSFORM ELUCID_PUBLIC_HEADERS PREPEND ${PROJECT_BINARY_DIR}/include/elucid/ OUTPUT_VARIABLE docs_input)
list(APPEND docs_input ${PROJECT_SOURCE_DIR}/docs/mainpage.md)
list(JOIN docs_input " " ELUCID_DOCS_INPUT)
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${ELUCID_DOCS_DIR}/Doxyfile @ONLY)
add_custom_target(docs COMMAND Doxygen::doxygen ${ELUCID_DOCS_DIR}/Doxyfile WORKING_DIRECTORY ${ELUCID_DOCS_DIR}
                  COMMENT "API reference: ${ELUCID_DOCS_DIR}/html/index.html" VERBATIM)
