# Install rules, included by CMakeLists.txt when ELUCID_INSTALL is on: the two libraries, the public headers under
# include/elucid/, the apps, the CMake package (find_package(elucid)) and elucid.pc (pkg-config).
include(CMakePackageConfigHelpers)
set(ELUCID_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/elucid)

install(TARGETS elucid elucid_static EXPORT elucidTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS ${ELUCID_APP_TARGETS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Public headers, each under include/elucid/ in its folder; the umbrella is include/elucid/elucid.hpp.
foreach(header ${ELUCID_PUBLIC_HEADERS})
  get_filename_component(folder ${header} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/${header} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/elucid/${folder})
endforeach()

# The CMake package: elucid::elucid (shared) and elucid::elucid_static, with their dependencies found for the user.
install(EXPORT elucidTargets NAMESPACE elucid:: DESTINATION ${ELUCID_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/elucidConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/elucidConfig.cmake INSTALL_DESTINATION ${ELUCID_CMAKE_DIR})
# While the major version is 0 any minor release may break the API (semantic versioning), so find_package(elucid 0.2)
# accepts 0.2.x only; from 1.0 on, any 1.x.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(ELUCID_COMPATIBILITY SameMinorVersion)
else()
  set(ELUCID_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/elucidConfigVersion.cmake
                                 COMPATIBILITY ${ELUCID_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/elucidConfig.cmake ${PROJECT_BINARY_DIR}/elucidConfigVersion.cmake
        DESTINATION ${ELUCID_CMAKE_DIR})

# elucid.pc: the prefix is worked out from the file's own place (${pcfiledir}), so `cmake --install --prefix` works.
# Libs.private lists what a static link adds (pkg-config --static): OpenBLAS, zlib, HDF5, libzip, ONNX, protobuf,
# OpenMP and (when built with it) Open MPI, as found here.
set(ELUCID_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH ELUCID_PC_TO_PREFIX ${CMAKE_INSTALL_PREFIX}/${ELUCID_PC_DIR} ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" ELUCID_PC_TO_PREFIX "${ELUCID_PC_TO_PREFIX}")
set(ELUCID_PC_LIBS_PRIVATE)
set(ELUCID_PC_DEPENDENCIES ${BLAS_LIBRARIES} ${ZLIB_LIBRARIES} ${HDF5_LINK_LIBRARIES} ${LIBZIP_LINK_LIBRARIES})
foreach(target onnx onnx_proto)  # imported targets: their library files
  get_target_property(location ${target} LOCATION)
  list(APPEND ELUCID_PC_DEPENDENCIES ${location})
endforeach()
list(APPEND ELUCID_PC_DEPENDENCIES ${Protobuf_LIBRARIES})
if(ELUCID_MPI)  # distributed/mpi_strategy.cpp, built with ELUCID_WITH_MPI
  list(APPEND ELUCID_PC_DEPENDENCIES ${MPI_CXX_LIBRARIES})
endif()
foreach(library ${ELUCID_PC_DEPENDENCIES})
  if(library MATCHES "^-")  # a flag such as -lpthread, kept as it is
    string(APPEND ELUCID_PC_LIBS_PRIVATE " ${library}")
    continue()
  endif()
  get_filename_component(dir ${library} DIRECTORY)
  get_filename_component(name ${library} NAME_WE)
  string(REGEX REPLACE "^lib" "" name ${name})
  if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    string(APPEND ELUCID_PC_LIBS_PRIVATE " -L${dir}")
  endif()
  string(APPEND ELUCID_PC_LIBS_PRIVATE " -l${name}")
endforeach()
string(APPEND ELUCID_PC_LIBS_PRIVATE " ${OpenMP_CXX_FLAGS}")
string(STRIP "${ELUCID_PC_LIBS_PRIVATE}" ELUCID_PC_LIBS_PRIVATE)
configure_file(${PROJECT_SOURCE_DIR}/elucid.pc.in ${PROJECT_BINARY_DIR}/elucid.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/elucid.pc DESTINATION ${ELUCID_PC_DIR})
