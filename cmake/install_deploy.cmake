# Installs deploy/ (run by cmake --install and CPack, at install time): the systemd units,
# their paths rewritten for this prefix, and the default configuration.
#
#   prefix /usr (the Debian package)    /usr/bin/forkd, /etc/forkd/forkd.toml
#   any other prefix P                  P/bin/forkd,    P/etc/forkd/forkd.toml
#
# deploy/ itself holds the package's paths. An existing forkd.toml is an administrator's
# edit: a plain install keeps it (the package marks it a conffile, dpkg asks instead).
# Set by install.cmake: FORKD_DEPLOY_DIR (the sources), FORKD_BINDIR (relative to the prefix),
# FORKD_SCRATCH_DIR (in the build tree).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
  set(config_dir /etc/forkd)
else()
  set(config_dir ${CMAKE_INSTALL_PREFIX}/etc/forkd)
endif()
set(binary ${CMAKE_INSTALL_PREFIX}/${FORKD_BINDIR}/forkd)
string(REPLACE "//" "/" binary "${binary}")

# One scratch folder per destination: CPack and a staged install may run at the same time.
string(MD5 destination "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(scratch ${FORKD_SCRATCH_DIR}/deploy-${destination})
file(MAKE_DIRECTORY ${scratch})
foreach(unit forkd.service forkd.socket)
  file(READ ${FORKD_DEPLOY_DIR}/${unit} text)
  string(REPLACE "/usr/bin/forkd" "${binary}" text "${text}")
  string(REPLACE "/etc/forkd/forkd.toml" "${config_dir}/forkd.toml" text "${text}")
  file(WRITE ${scratch}/${unit} "${text}")
endforeach()
file(INSTALL ${scratch}/forkd.service ${scratch}/forkd.socket
     DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
file(REMOVE_RECURSE ${scratch})

if(EXISTS "$ENV{DESTDIR}${config_dir}/forkd.toml")
  message(STATUS "Keeping: $ENV{DESTDIR}${config_dir}/forkd.toml")
else()
  file(INSTALL ${FORKD_DEPLOY_DIR}/forkd.toml DESTINATION ${config_dir})
endif()
