# Install helpers: relocatable pkg-config files and the CMake package (vnetif::...).
include(CMakePackageConfigHelpers)

# A .pc file's directories. With relative install dirs (the default, also Debian's
# multiarch lib/x86_64-linux-gnu) they are relative to the .pc file's own directory
# (${pcfiledir}), so the tree works wherever `cmake --install --prefix` puts it; a
# directory given as an absolute path stays absolute.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(VNETIF_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(VNETIF_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH vnetif_pc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" vnetif_pc_up "${vnetif_pc_up}")
  set(VNETIF_PC_PREFIX "\${pcfiledir}/${vnetif_pc_up}")
  set(VNETIF_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(VNETIF_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(VNETIF_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# What a static link of libvnetif.a needs from DPDK (pkg-config --static): its libraries
# only. Never libdpdk's Cflags (-march=corei7, -include rte_config.h): the public
# headers include no DPDK header, and pkg-config passes on the Cflags of Requires.private.
set(VNETIF_PC_DPDK_LIBS "")
foreach(dir ${DPDK_LIBRARY_DIRS})
  string(APPEND VNETIF_PC_DPDK_LIBS " -L${dir}")
endforeach()
foreach(lib ${DPDK_LIBRARIES})
  string(APPEND VNETIF_PC_DPDK_LIBS " -l${lib}")
endforeach()
string(STRIP "${VNETIF_PC_DPDK_LIBS}" VNETIF_PC_DPDK_LIBS)

# vnetif_install_pc(<template> <name>.pc): configure (@VAR@) and install into libdir/pkgconfig.
function(vnetif_install_pc template name)
  configure_file(${template} ${CMAKE_CURRENT_BINARY_DIR}/${name} @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${name}
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()

# The CMake package: find_package(vnetif) gives vnetif::vnetif (shared),
# vnetif::vnetif_static, vnetif::vnetif-ethdev and, when built, vnetif::vnetif-lwip and
# vnetif::vnetif-lwip-netif.
function(vnetif_install_package)
  set(dest ${CMAKE_INSTALL_LIBDIR}/cmake/vnetif)
  install(EXPORT vnetifTargets NAMESPACE vnetif:: DESTINATION ${dest})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/vnetifConfig.cmake.in
    ${PROJECT_BINARY_DIR}/vnetifConfig.cmake INSTALL_DESTINATION ${dest})
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/vnetifConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/vnetifConfig.cmake
    ${PROJECT_BINARY_DIR}/vnetifConfigVersion.cmake DESTINATION ${dest})
endfunction()
