/* SPDX-License-Identifier: MIT */
/* The web app run exactly as Linux App Service runs the container: HOST
 * 0.0.0.0, the port from WEBSITES_PORT, WEBSITE_SITE_NAME and
 * APPSETTING_WEBSITE_SITE_NAME set, IDENTITY_ENDPOINT and IDENTITY_HEADER
 * pointing at the mock, and no AZURE_* credentials. The managed identity
 * must be the path taken.
 *
 * Binding 0.0.0.0 happens only inside a private network namespace made for
 * this test (with just a loopback interface); where the kernel refuses one,
 * the app binds 127.0.0.1 instead and the test says so. */
#define _GNU_SOURCE /* unshare(), CLONE_NEWNET and struct ifreq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app_harness.h"
#include "harness.h"
#include "it_target.h"

#define MOCK_VALUE "Hello from the msikv mock Key Vault"
#define MI_OID "aaaaaaaa-0000-4000-8000-000000000002"

static bool private_netns;

/* A new network namespace has only "lo", and it is down. */
static bool enter_private_netns(void) {
  if (unshare(CLONE_NEWNET) != 0)
    return false;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0)
    return false;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
  bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  close(fd);
  return ok;
}

static void assert_contains(const char *hay, const char *needle) {
  if (!hay || !strstr(hay, needle))
    fail_msg("expected \"%s\" in:\n%s", needle, hay ? hay : "(null)");
}

static void test_appservice_container_uses_managed_identity(void **state) {
  (void)state;
  it_mock m;
  assert_int_equal(it_mock_start(&m, NULL), 0);
  assert_true(m.identity_endpoint[0] && m.identity_header[0]);
  long long since = 0;

  const char *env_netns[] = {"PORT=",
                             "WEBSITES_PORT=8000",
                             "HOST=0.0.0.0",
                             "WEBSITE_SITE_NAME=msikv-demo",
                             "APPSETTING_WEBSITE_SITE_NAME=msikv-demo",
                             "AZURE_TENANT_ID=",
                             "AZURE_CLIENT_ID=",
                             "AZURE_CLIENT_SECRET=",
                             "SECRET_DISPLAY=full",
                             NULL};
  const char *env_loopback[] = {"PORT=",
                                "WEBSITES_PORT=0",
                                "HOST=127.0.0.1",
                                "WEBSITE_SITE_NAME=msikv-demo",
                                "APPSETTING_WEBSITE_SITE_NAME=msikv-demo",
                                "AZURE_TENANT_ID=",
                                "AZURE_CLIENT_ID=",
                                "AZURE_CLIENT_SECRET=",
                                "SECRET_DISPLAY=full",
                                NULL};
  it_webapp w;
  assert_int_equal(
      it_webapp_start(&m, private_netns ? env_netns : env_loopback, &w), 0);
  if (private_netns)
    assert_int_equal(w.port, 8000); /* WEBSITES_PORT was honoured. */

  it_http r;
  it_webapp_get(&w, "/", "application/json", &r);
  if (r.status != 200) {
    char *log = it_webapp_log(&w);
    fail_msg("status %ld, body:\n%s\nlog:\n%s", r.status, r.body, log);
  }
  cJSON *j = it_http_json(&r);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "credential")->valuestring,
                      "ManagedIdentityCredential (App Service)");
  assert_string_equal(cJSON_GetObjectItem(j, "principal")->valuestring, MI_OID);
  assert_string_equal(cJSON_GetObjectItem(j, "value")->valuestring, MOCK_VALUE);
  cJSON_Delete(j);
  it_http_free(&r);

  it_webapp_get(&w, "/", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_contains(r.body, "My secret value is " MOCK_VALUE);
  it_http_free(&r);

  /* The mock saw the App Service protocol and no Entra ID token request. */
  cJSON *log = it_admin_requests(&m, since);
  assert_non_null(log);
  int msi = 0, entra = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests")) {
    const char *route = cJSON_GetObjectItem(e, "route")->valuestring;
    const char *query = cJSON_GetObjectItem(e, "query")->valuestring;
    if (strcmp(route, "msi") == 0) {
      msi++;
      assert_contains(query, "api-version=2019-08-01");
      assert_int_equal(cJSON_GetObjectItem(e, "status")->valueint, 200);
    }
    if (strcmp(route, "entra") == 0)
      entra++;
  }
  cJSON_Delete(log);
  assert_int_equal(msi, 1);
  assert_int_equal(entra, 0);

  assert_int_equal(it_webapp_stop(&w), 0);
  it_mock_stop(&m);
}

int main(void) {
  private_netns = enter_private_netns();
  printf("app service simulation: %s\n",
         private_netns ? "HOST=0.0.0.0 inside a private network namespace"
                       : "no network namespace here: HOST=127.0.0.1 instead");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_appservice_container_uses_managed_identity),
  };
  return IT_RUN_MOCK_ONLY_SUITE(
      "app_appservice", tests, NULL, NULL,
      "needs the mock (App Service identity endpoint)");
}
