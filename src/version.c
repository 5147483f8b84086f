/* SPDX-License-Identifier: BSD-3-Clause */
/* The library's version, as built (the header's macros give the version compiled against). */
#include "vnetif.h"

#define STR_(x) #x
#define STR(x) STR_(x)

VNETIF_API unsigned vnetif_version(void)
{
	return VNETIF_VERSION_HEX;
}

VNETIF_API const char *vnetif_version_string(void)
{
	return STR(VNETIF_VERSION_MAJOR) "." STR(VNETIF_VERSION_MINOR) "." STR(VNETIF_VERSION_PATCH);
}
