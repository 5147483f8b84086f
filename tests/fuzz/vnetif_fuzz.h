/* SPDX-License-Identifier: BSD-3-Clause */
/* The libFuzzer entry points every fuzz target defines (LLVMFuzzerInitialize is
 * optional). Used both by libFuzzer and by replay_main.c. */
#ifndef VNETIF_FUZZ_H
#define VNETIF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif /* VNETIF_FUZZ_H */
