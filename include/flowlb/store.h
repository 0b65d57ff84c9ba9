/*
 * store: the JSON state file, which holds the services between runs.
 *
 * lb turns the file's JSON into a model and back and validates it; store
 * reads and writes the file.  store_save() is atomic: a crash leaves either
 * the old file or the new one, complete.  The file holds the services'
 * secret hash bases, so it is written with mode 0600.
 */
#ifndef FLOWLB_STORE_H
#define FLOWLB_STORE_H 1

struct lb_model;

int store_load(const char *path, struct lb_model **, char **error);
int store_save(const char *path, const struct lb_model *);

#endif /* flowlb/store.h */
