/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <stdio.h>

#include <openssl/rand.h>

void mock_random_hex(char *out, size_t bytes) {
  static const char HEX[] = "0123456789abcdef";
  unsigned char buf[64];
  if (bytes > sizeof(buf))
    bytes = sizeof(buf);
  if (RAND_bytes(buf, (int)bytes) != 1) {
    /* OpenSSL's DRBG does not fail once seeded; keep a defined value. */
    for (size_t i = 0; i < bytes; i++)
      buf[i] = (unsigned char)(i * 37u + 11u);
  }
  for (size_t i = 0; i < bytes; i++) {
    out[2 * i] = HEX[buf[i] >> 4];
    out[2 * i + 1] = HEX[buf[i] & 15];
  }
  out[2 * bytes] = '\0';
}

void mock_uuid(char out[37]) {
  char hex[33];
  mock_random_hex(hex, 16);
  hex[12] = '4';
  hex[16] = "89ab"[hex[16] % 4];
  snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
           hex + 16, hex + 20);
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t mock_epoch_from_civil(int year, int month, int day, int hour,
                              int minute, int second) {
  int64_t y = year - (month <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

void mock_civil_from_epoch(int64_t epoch_s, int *year, int *month, int *day,
                           int *hour, int *minute, int *second) {
  int64_t days = epoch_s / 86400;
  int64_t secs = epoch_s % 86400;
  if (secs < 0) {
    secs += 86400;
    days--;
  }
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  *year = (int)(y + (m <= 2));
  *month = (int)m;
  *day = (int)d;
  *hour = (int)(secs / 3600);
  *minute = (int)(secs / 60 % 60);
  *second = (int)(secs % 60);
}

void mock_format_utc(int64_t epoch_s, char *out, size_t out_size) {
  int y, mo, d, h, mi, s;
  mock_civil_from_epoch(epoch_s, &y, &mo, &d, &h, &mi, &s);
  snprintf(out, out_size, "%04d-%02d-%02d %02d:%02d:%02dZ", y, mo, d, h, mi,
           s);
}

void mock_respond_json(mock_response *resp, int status, cJSON *json) {
  if (!json || mock_response_json(resp, status, json) != MSIKV_OK) {
    msikv_buf_reset(&resp->body);
    resp->status = 500;
  }
  cJSON_Delete(json);
}
