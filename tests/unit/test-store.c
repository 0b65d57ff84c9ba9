/*
 * Tests of store: loading and saving the state file, in a temporary
 * directory.
 */
#include <config.h>
#include "flowlb/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "flowlb/lb.h"
#include "packets.h"
#include "openvswitch/util.h"
#include "unit.h"
#include "util.h"

static char *dir;

static int
store_suite_init(void)
{
    char template[] = "/tmp/flowlb-test-store.XXXXXX";
    dir = mkdtemp(template) ? xstrdup(template) : NULL;
    return dir ? 0 : -1;
}

static int
store_suite_clean(void)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    int retval = system(cmd);
    free(cmd);
    free(dir);
    return retval ? -1 : 0;
}

static char *
path_for(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static void
write_file(const char *path, const char *text)
{
    FILE *stream = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(stream);
    fputs(text, stream);
    fclose(stream);
}

/* Returns the contents of 'path', for the caller to free, or NULL. */
static char *
read_file(const char *path)
{
    FILE *stream = fopen(path, "r");
    if (!stream) {
        return NULL;
    }
    char *text = xzalloc(65536);
    size_t n = fread(text, 1, 65535, stream);
    text[n] = '\0';
    fclose(stream);
    return text;
}

static void
test_missing(void)
{
    char *path = path_for("missing.json");
    struct lb_model *model;
    char *error;

    CU_ASSERT_EQUAL(store_load(path, &model, &error), 0);
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(model);
    CU_ASSERT_EQUAL(hmap_count(&model->services), 0);
    CU_ASSERT_EQUAL(model->next_service_id, 1);
    /* Locally administered unicast, 02:xx:..., and random. */
    CU_ASSERT_EQUAL(model->vmac.ea[0], 0x02);

    /* Loading creates the file at once, so the vmac, which switches' flows
     * and clients' neighbour caches hold, survives a restart. */
    CU_ASSERT_EQUAL(access(path, F_OK), 0);
    struct lb_model *model2;
    CU_ASSERT_EQUAL(store_load(path, &model2, &error), 0);
    CU_ASSERT(eth_addr_equals(model->vmac, model2->vmac));
    unlink(path);

    /* Without the file, a new install gets another random vmac. */
    struct lb_model *model3;
    CU_ASSERT_EQUAL(store_load(path, &model3, &error), 0);
    CU_ASSERT_FALSE(eth_addr_equals(model->vmac, model3->vmac));
    unlink(path);
    lb_model_destroy(model3);
    lb_model_destroy(model);
    lb_model_destroy(model2);
    free(path);
}

static void
test_round_trip(void)
{
    char *path = path_for("state.json");
    char *tmp = path_for("state.json.tmp");
    struct lb_model *model;
    char *error;

    CU_ASSERT_EQUAL_FATAL(store_load(path, &model, &error), 0);
    struct lb_error lerror = { .status = 0 };
    struct lb_service *svc;
    json_t *body = json_loads("{\"name\": \"web\", \"vip\": \"2001:db8::1\", "
                              "\"ports\": [80], \"members\": [{\"address\": "
                              "\"2001:db8::21\", \"weight\": 3}]}", 0, NULL);
    CU_ASSERT_EQUAL(lb_service_create(model, body, 0xfeedfacecafebeefULL,
                                      &svc, &lerror), 0);
    json_decref(body);

    CU_ASSERT_EQUAL(store_save(path, model), 0);
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    CU_ASSERT_EQUAL(access(tmp, F_OK), -1);

    char *text = read_file(path);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"hash_basis\":"
                                  "\"0xfeedfacecafebeef\""));

    struct lb_model *loaded;
    CU_ASSERT_EQUAL_FATAL(store_load(path, &loaded, &error), 0);
    json_t *a = lb_model_to_json(model);
    json_t *b = lb_model_to_json(loaded);
    CU_ASSERT_TRUE(json_equal(a, b));
    json_decref(a);
    json_decref(b);

    /* Saving the loaded model writes the same bytes. */
    CU_ASSERT_EQUAL(store_save(path, loaded), 0);
    char *text2 = read_file(path);
    CU_ASSERT_STRING_EQUAL(text, text2);

    free(text);
    free(text2);
    lb_model_destroy(model);
    lb_model_destroy(loaded);
    free(path);
    free(tmp);
}

/* A file that does not load is named in the error and left as it was. */
static void
check_bad_file(const char *text, const char *expected_suffix)
{
    char *path = path_for("bad.json");
    struct lb_model *model;
    char *error;

    write_file(path, text);
    CU_ASSERT_NOT_EQUAL(store_load(path, &model, &error), 0);
    CU_ASSERT_PTR_NULL(model);
    CU_ASSERT_PTR_NOT_NULL_FATAL(error);

    char *expected = xasprintf("%s%s", path, expected_suffix);
    if (strcmp(error, expected)) {
        fprintf(stderr, "got \"%s\", expected \"%s\"\n", error, expected);
    }
    CU_ASSERT_STRING_EQUAL(error, expected);
    char *after = read_file(path);
    CU_ASSERT_STRING_EQUAL(after, text);

    free(after);
    free(expected);
    free(error);
    free(path);
}

static void
test_bad_files(void)
{
    check_bad_file("{\"version\": 1,\n \"vmac\": }\n",
                   ":2:10: the state file is not valid JSON: "
                   "unexpected token near '}'");
    check_bad_file("", ":1:0: the state file is not valid JSON: "
                   "'[' or '{' expected near end of file");
    check_bad_file("{\"version\": 1, \"version\": 1}",
                   ":1:24: the state file is not valid JSON: "
                   "duplicate object key near '\"version\"'");
    check_bad_file("{\"version\": 1, \"vmac\": \"02:00:00:00:00:01\", "
                   "\"next_service_id\": 1, \"services\": [{}]}",
                   ": invalid state file: services[0].name: required");
    check_bad_file("[]", ": invalid state file: must be a JSON object");
}

static void
test_save_fails(void)
{
    char *path = path_for("fails.json");
    char *tmp = path_for("fails.json.tmp");
    struct lb_model *model = lb_model_create();

    write_file(path, "old");
    CU_ASSERT_EQUAL_FATAL(mkdir(tmp, 0700), 0);
    CU_ASSERT_EQUAL(store_save(path, model), EISDIR);
    char *text = read_file(path);
    CU_ASSERT_STRING_EQUAL(text, "old");
    free(text);
    rmdir(tmp);

    /* A directory that does not exist. */
    char *nowhere = path_for("no/such/dir.json");
    CU_ASSERT_EQUAL(store_save(nowhere, model), ENOENT);

    lb_model_destroy(model);
    free(nowhere);
    free(path);
    free(tmp);
}

/* The cached writer must write what a fresh one would, after changes,
 * deletions and additions. */
static void
test_cache(void)
{
    char *path = path_for("cached.json");
    char *fresh = path_for("fresh.json");
    struct lb_model *model;
    char *error;

    CU_ASSERT_EQUAL_FATAL(store_load(path, &model, &error), 0);
    struct store *store = store_create(path);
    struct lb_error lerror = { .status = 0 };
    struct lb_service *svcs[3];
    for (int i = 0; i < 3; i++) {
        char *text = xasprintf("{\"name\": \"s%d\", \"vip\": "
                               "\"2001:db8::%d\", \"members\": "
                               "[{\"address\": \"2001:db8::21\"}]}",
                               i, i + 1);
        json_t *body = json_loads(text, 0, NULL);
        CU_ASSERT_EQUAL(lb_service_create(model, body, i, &svcs[i],
                                          &lerror), 0);
        json_decref(body);
        free(text);
    }
    CU_ASSERT_EQUAL(store_write(store, model), 0);

    json_t *patch = json_loads("{\"ports\": [8080]}", 0, NULL);
    CU_ASSERT_EQUAL(lb_service_patch(model, svcs[1], patch, &lerror), 0);
    json_decref(patch);
    lb_service_delete(model, svcs[0]);
    CU_ASSERT_EQUAL(store_write(store, model), 0);
    CU_ASSERT_EQUAL(store_save(fresh, model), 0);

    char *a = read_file(path);
    char *b = read_file(fresh);
    CU_ASSERT_PTR_NOT_NULL(strstr(a, "8080"));
    CU_ASSERT_PTR_NULL(strstr(a, "\"s0\""));
    CU_ASSERT_STRING_EQUAL(a, b);

    free(a);
    free(b);
    store_destroy(store);
    lb_model_destroy(model);
    unlink(path);
    unlink(fresh);
    free(path);
    free(fresh);
}

void
unit_register_store(void)
{
    static CU_TestInfo tests[] = {
        { "missing file: empty model", test_missing },
        { "save and load round trip", test_round_trip },
        { "bad files: message, untouched", test_bad_files },
        { "failed save leaves the file", test_save_fails },
        { "cached writer writes what a fresh one does", test_cache },
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {
        { "store", store_suite_init, store_suite_clean, NULL, NULL, tests },
        CU_SUITE_INFO_NULL,
    };
    CU_register_suites(suites);
}
