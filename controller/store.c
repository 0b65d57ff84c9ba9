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
        VLOG_INFO("%s: no state file, starting with no services", path);
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

/* Saves 'model' into the state file 'path': writes "PATH.tmp" (mode 0600),
 * syncs it to disk, renames it over 'path' and syncs the directory.  On
 * failure leaves 'path' as it was and returns a positive errno; otherwise
 * returns 0. */
int
store_save(const char *path, const struct lb_model *model)
{
    json_t *json = lb_model_to_json(model);
    char *text = json_dumps(json, JSON_INDENT(2) | JSON_SORT_KEYS);
    char *tmp = xasprintf("%s.tmp", path);
    int retval = 0;
    json_decref(json);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        retval = errno;
        goto out;
    }
    /* An existing PATH.tmp keeps its mode through O_CREAT. */
    if (fchmod(fd, 0600)
        || (retval = write_fully(fd, text, strlen(text)))
        || (retval = write_fully(fd, "\n", 1))
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
    free(text);
    return retval;
}
