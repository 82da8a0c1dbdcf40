/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * crc32c.h - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of every .gst header, block and footer. crc32c(0, buf, len) gives
 * the standard value (crc32c("123456789") = 0xE3069283); pass a previous
 * result as crc to continue over more bytes. Pure function, thread-safe.
 */
#ifndef CRC32C_H
#define CRC32C_H
#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
