/*
 * store: the JSON state file.  See store.h.
 */
#include <config.h>
#include "flowlb/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "flowlb/lb.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(store);

/* Fills 'buf' with 'n' random bytes from the kernel.  Returns 0 or a
 * positive errno. */
static int
store_random(void *buf, size_t n)
{
    ssize_t retval = getrandom(buf, n, 0);
    if (retval < 0) {
        return errno;
    }
    return retval == n ? 0 : EIO;
}

/* Loads the state file 'path' into a new model stored into '*modelp'.  A
 * missing file gives an empty model with a new random vmac, a locally
 * administered unicast MAC 02:xx:xx:xx:xx:xx.  Otherwise, if the file cannot
 * be read or is not a valid state file, stores NULL into '*modelp', stores a
 * message that names 'path' and the line and column or the JSON path at
 * fault into '*error' (for the caller to free) and returns a positive
 * errno.  It never changes the file. */
int
store_load(const char *path, struct lb_model **modelp, char **error)
{
    *modelp = NULL;
    *error = NULL;

    FILE *stream = fopen(path, "r");
    if (!stream) {
        int retval = errno;
        if (retval != ENOENT) {
            *error = xasprintf("%s: cannot read the state file: %s", path,
                               ovs_strerror(retval));
            return retval;
        }

        struct lb_model *model = lb_model_create();
        retval = store_random(&model->vmac.ea[1], 5);
        if (retval) {
            *error = xasprintf("cannot get random bytes: %s",
                               ovs_strerror(retval));
            lb_model_destroy(model);
            return retval;
        }
        model->vmac.ea[0] = 0x02;

        /* Save at once: the virtual MAC is in the switches' flows and in
         * clients' neighbour caches, so it must survive a restart even if
         * no service is ever configured.  This also finds a state
         * directory that cannot be written now rather than at the first
         * REST call. */
        retval = store_save(path, model);
        if (retval) {
            *error = xasprintf("%s: cannot create the state file: %s", path,
                               ovs_strerror(retval));
            lb_model_destroy(model);
            return retval;
        }
        VLOG_INFO("%s: no state file, created one with no services", path);
        *modelp = model;
        return 0;
    }

    json_error_t jerror;
    json_t *json = json_loadf(stream, JSON_REJECT_DUPLICATES, &jerror);
    fclose(stream);
    if (!json) {
        *error = xasprintf("%s:%d:%d: the state file is not valid JSON: %s",
                           path, jerror.line, jerror.column, jerror.text);
        return EINVAL;
    }

    struct lb_error lerror = { .status = 0 };
    lb_model_from_json(json, modelp, &lerror);
    json_decref(json);
    if (!*modelp) {
        *error = xasprintf("%s: invalid state file: %s", path,
                           lerror.message);
        lb_error_clear(&lerror);
        return EINVAL;
    }
    VLOG_INFO("%s: loaded %"PRIuSIZE" services", path,
              hmap_count(&(*modelp)->services));
    return 0;
}

/* Writes all of 'text' to 'fd'.  Returns 0 or a positive errno. */
static int
write_fully(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        text += n;
        len -= n;
    }
    return 0;
}

/* Syncs the directory that holds 'path', so that a rename into it is
 * durable. */
static int
fsync_parent_dir(const char *path)
{
    char *dir = dir_name(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int retval = 0;

    if (fd < 0 || fsync(fd)) {
        retval = errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    free(dir);
    return retval;
}

/* Writes 'text' into the state file 'path': writes "PATH.tmp" (mode
 * 0600), syncs it to disk, renames it over 'path' and syncs the directory.
 * On failure leaves 'path' as it was and returns a positive errno;
 * otherwise returns 0. */
static int
write_file(const char *path, const char *text, size_t len)
{
    char *tmp = xasprintf("%s.tmp", path);
    int retval = 0;

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        retval = errno;
        goto out;
    }
    /* An existing PATH.tmp keeps its mode through O_CREAT. */
    if (fchmod(fd, 0600)
        || (retval = write_fully(fd, text, len))
        || fsync(fd)) {
        retval = retval ? retval : errno;
        close(fd);
        unlink(tmp);
        goto out;
    }
    if (close(fd)) {
        retval = errno;
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path)) {
        retval = errno;
        unlink(tmp);
        goto out;
    }
    /* The new file is in place, so the change is saved even if the
     * directory cannot be synced; failing now would make the caller undo a
     * change that the file already has. */
    int error = fsync_parent_dir(path);
    if (error) {
        VLOG_WARN("%s: cannot sync the state file's directory: %s", path,
                  ovs_strerror(error));
    }

out:
    if (retval) {
        VLOG_ERR("%s: cannot save the state file: %s", path,
                 ovs_strerror(retval));
    }
    free(tmp);
    return retval;
}

/* A service's text in the state file, kept while its generation holds. */
struct store_entry {
    struct hmap_node node;      /* In store's 'cache', by service id. */
    uint32_t id;
    uint64_t generation;
    char *text;                 /* One line of compact JSON. */
    bool seen;
};

/* A state file and the text of its services as last written.  Saving
 * formats only the services that changed since, so a save costs one copy
 * of the file rather than a conversion of every service to JSON: with
 * 1,000 services that conversion was 95% of a REST create. */
struct store {
    char *path;
    struct hmap cache;          /* Contains "struct store_entry"s. */
};

struct store *
store_create(const char *path)
{
    struct store *store = xzalloc(sizeof *store);
    store->path = xstrdup(path);
    hmap_init(&store->cache);
    return store;
}

static void
store_clear(struct store *store)
{
    struct store_entry *e;
    HMAP_FOR_EACH_POP (e, node, &store->cache) {
        free(e->text);
        free(e);
    }
}

void
store_destroy(struct store *store)
{
    if (store) {
        store_clear(store);
        hmap_destroy(&store->cache);
        free(store->path);
        free(store);
    }
}

static struct store_entry *
store_entry_get(struct store *store, const struct lb_service *svc)
{
    struct store_entry *e;
    HMAP_FOR_EACH_WITH_HASH (e, node, hash_int(svc->id, 0), &store->cache) {
        if (e->id == svc->id) {
            if (e->generation != svc->generation) {
                free(e->text);
                e->text = NULL;
            }
            break;
        }
    }
    if (!e) {
        e = xzalloc(sizeof *e);
        e->id = svc->id;
        hmap_insert(&store->cache, &e->node, hash_int(svc->id, 0));
    }
    if (!e->text) {
        json_t *j = lb_service_to_state_json(svc);
        e->text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        e->generation = svc->generation;
        json_decref(j);
    }
    return e;
}

/* Saves 'model' into 'store''s file atomically (see write_file()): one
 * line for the model's header fields, then one line per service.  Returns
 * 0 or a positive errno, after which the file is as it was. */
int
store_write(struct store *store, const struct lb_model *model)
{
    struct store_entry *e;
    HMAP_FOR_EACH (e, node, &store->cache) {
        e->seen = false;
    }

    json_t *header = lb_model_header_to_json(model);
    char *head = json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(header);

    struct ds ds = DS_EMPTY_INITIALIZER;
    ds_put_buffer(&ds, head, strlen(head) - 1);     /* Without the "}". */
    ds_put_cstr(&ds, ",\"services\":[");
    free(head);

    size_t n;
    const struct lb_service **list = lb_model_sorted(model, &n);
    for (size_t i = 0; i < n; i++) {
        e = store_entry_get(store, list[i]);
        e->seen = true;
        ds_put_format(&ds, "%s\n%s", i ? "," : "", e->text);
    }
    free(list);
    ds_put_cstr(&ds, "\n]}\n");

    struct store_entry *next;
    HMAP_FOR_EACH_SAFE (e, next, node, &store->cache) {
        if (!e->seen) {
            hmap_remove(&store->cache, &e->node);
            free(e->text);
            free(e);
        }
    }

    int retval = write_file(store->path, ds.string, ds.length);
    if (retval) {
        /* The caller will restore the model, perhaps with generations this
         * cache has seen with other contents. */
        store_clear(store);
    }
    ds_destroy(&ds);
    return retval;
}

/* Saves 'model' into the state file 'path', without a cache. */
int
store_save(const char *path, const struct lb_model *model)
{
    struct store *store = store_create(path);
    int retval = store_write(store, model);
    store_destroy(store);
    return retval;
}
