/* SPDX-License-Identifier: MIT */
/**
 * @file msikv.h
 * @brief Everything: include this one header.
 */
#ifndef MSIKV_MSIKV_H
#define MSIKV_MSIKV_H

#define MSIKV_VERSION "0.1.0"

#include "msikv/alloc.h"
#include "msikv/buffer.h"
#include "msikv/clock.h"
#include "msikv/credential.h"
#include "msikv/http.h"
#include "msikv/identity.h"
#include "msikv/keyvault.h"
#include "msikv/log.h"
#include "msikv/parse.h"
#include "msikv/result.h"
#include "msikv/retry.h"
#include "msikv/url.h"

#endif /* MSIKV_MSIKV_H */
