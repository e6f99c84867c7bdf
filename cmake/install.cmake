# cmake --install: what a program built on forkd needs, and what runs forkd itself.
#
#   include/forkd/*.hpp                 the public headers (version.hpp generated)
#   lib/libforkd.a                      every module's objects (forkd::forkd)
#   lib/cmake/forkd/                    find_package(forkd): forkd::forkd
#   lib/pkgconfig/forkd.pc              pkg-config --cflags --libs forkd
#   bin/forkd                           the server program
#   lib/systemd/system/forkd.{service,socket}, etc/forkd/forkd.toml   from deploy/
#
# Included by the top-level CMakeLists.txt after forkd_library and forkd are defined.
include(CMakePackageConfigHelpers)

set(FORKD_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/forkd)

install(TARGETS forkd_library EXPORT forkdTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        # Stated as INTERFACE_INCLUDE_DIRECTORIES too, for CMake before 3.23 (no file sets).
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS forkd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# find_package(forkd): the imported target forkd::forkd, its include directory and C++20.
# The files locate the prefix from where they lie, so a staged or moved install works.
install(EXPORT forkdTargets NAMESPACE forkd:: DESTINATION ${FORKD_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/forkdConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/forkdConfig.cmake
                              INSTALL_DESTINATION ${FORKD_CMAKE_DIR})
# 0.x: a minor version may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/forkdConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/forkdConfig.cmake ${PROJECT_BINARY_DIR}/forkdConfigVersion.cmake
        DESTINATION ${FORKD_CMAKE_DIR})

# pkg-config: relative to the .pc file's own directory, for the same reason. libforkd needs
# nothing but the C library, so Libs.private is empty.
file(RELATIVE_PATH FORKD_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" FORKD_PC_TO_PREFIX "${FORKD_PC_TO_PREFIX}")
set(FORKD_PC_LIBS_PRIVATE "")
configure_file(${CMAKE_CURRENT_LIST_DIR}/forkd.pc.in ${PROJECT_BINARY_DIR}/forkd.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/forkd.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# deploy/: the systemd units and the default configuration. Their paths (the program, the
# configuration) follow the prefix given at install time, so the script runs then.
install(CODE "set(FORKD_DEPLOY_DIR \"${PROJECT_SOURCE_DIR}/deploy\")
              set(FORKD_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
              set(FORKD_SCRATCH_DIR \"${PROJECT_BINARY_DIR}\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install_deploy.cmake)
