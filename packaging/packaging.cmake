# packaging.cmake: installation layout and the Debian package (`cpack -G DEB` in the build dir).
#   /usr/bin/sharkapi                       the server and CLI
#   /usr/lib/sharkapi/sharkapi-worker       the dissection worker (SHARKAPI_WORKER_PATH)
#   /usr/share/man/man1/sharkapi.1.gz       sharkapi(1)
#   /etc/sharkapi/sharkapi.conf             the service's settings (a conffile)
#   /usr/lib/systemd/system/sharkapi.service
#   /usr/share/doc/sharkapi/copyright
#   /var/lib/sharkapi                       data, made by postinst and StateDirectory=
# Included from the top CMakeLists.txt after the targets exist.
# SPDX-License-Identifier: GPL-2.0-or-later

set(SHARKAPI_VERSION ${PROJECT_VERSION})
set(SHARKAPI_FULL_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(SHARKAPI_FULL_SYSCONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR})
set(SHARKAPI_GENERATED ${CMAKE_BINARY_DIR}/packaging)

install(TARGETS sharkapi RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS sharkapi-worker RUNTIME DESTINATION ${SHARKAPI_WORKER_DIR})

# The man page names the real paths; gzip -n keeps the package reproducible.
configure_file(${CMAKE_CURRENT_LIST_DIR}/sharkapi.1 ${SHARKAPI_GENERATED}/sharkapi.1 @ONLY)
find_program(GZIP gzip REQUIRED)
add_custom_command(OUTPUT ${SHARKAPI_GENERATED}/sharkapi.1.gz
  COMMAND ${GZIP} -9 -n -c ${SHARKAPI_GENERATED}/sharkapi.1 > ${SHARKAPI_GENERATED}/sharkapi.1.gz
  DEPENDS ${SHARKAPI_GENERATED}/sharkapi.1 VERBATIM)
add_custom_target(sharkapi-man ALL DEPENDS ${SHARKAPI_GENERATED}/sharkapi.1.gz)
install(FILES ${SHARKAPI_GENERATED}/sharkapi.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${CMAKE_CURRENT_LIST_DIR}/sharkapi.conf DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/sharkapi)
configure_file(${CMAKE_CURRENT_LIST_DIR}/sharkapi.service.in ${SHARKAPI_GENERATED}/sharkapi.service @ONLY)
install(FILES ${SHARKAPI_GENERATED}/sharkapi.service DESTINATION lib/systemd/system)

install(FILES ${CMAKE_CURRENT_LIST_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

file(WRITE ${SHARKAPI_GENERATED}/conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/sharkapi/sharkapi.conf\n")

set(CPACK_PACKAGE_NAME sharkapi)
set(CPACK_PACKAGE_VENDOR "sharkapi")
set(CPACK_PACKAGE_CONTACT "sharkapi maintainers <sharkapi@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CloudShark-compatible packet capture analysis API")
set(CPACK_PACKAGE_DESCRIPTION "sharkapi is a self-hosted HTTP service: upload a packet capture, then ask for its summary,
protocol hierarchy, endpoints, conversations, DNS lookups and any Wireshark field as JSON,
computed by libwireshark in supervised worker processes. Also an offline CLI (sharkapi analyze).")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX}) # the paths compiled into the binary
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/sharkapi")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # libwireshark, libsoup, ... from the binaries themselves
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_LIST_DIR}/debian/postinst
  ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
  ${CMAKE_CURRENT_LIST_DIR}/debian/postrm
  ${SHARKAPI_GENERATED}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
