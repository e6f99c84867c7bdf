# make package: a Debian package of everything cmake --install puts down (cmake/install.cmake),
# for prefix /usr: /usr/bin/forkd, the library, headers, CMake and pkg-config files, the
# systemd units in /usr/lib/systemd/system and /etc/forkd/forkd.toml, a conffile (dpkg keeps
# an administrator's edits at an upgrade). tests/packaging/check-deb reads it with dpkg-deb.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME forkd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "forkd developers <forkd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "multi-process HTTP/1.1 server and C++20 library")
set(CPACK_PACKAGE_DESCRIPTION "forkd serves HTTP/1.1 from a master and its worker processes \
(single, fork, prefork and hybrid modes), with systemd units and a default configuration. \
The package also holds libforkd, its headers and its CMake and pkg-config files, to build \
programs of one's own on it.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION httpd)
# DESTDIR staging with the real prefix: the install sees CMAKE_INSTALL_PREFIX=/usr, so the
# units name /usr/bin/forkd and the configuration lands in /etc (cmake/install_deploy.cmake).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# The dependencies of /usr/bin/forkd from its ELF (libc), when dpkg-dev's tool is there.
find_program(DPKG_SHLIBDEPS dpkg-shlibdeps)
if(DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles "/etc/forkd/forkd.toml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian/conffiles)
include(CPack)
