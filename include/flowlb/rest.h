/*
 * rest: the JSON REST API over HTTP (libevent's evhttp), docs/api.md.
 *
 * v1: /v1/services and their members (read and write), /v1/switches,
 * /v1/switches/{dpid} and /v1/status (read only).  Every answer is JSON,
 * errors included: {"error": {"status": N, "field": ..., "message": "..."}}.
 *
 * A change to the services is validated by lb, applied to the model, saved
 * to the state file with store and only then answered; if the save fails
 * the change is undone and the client gets 500.
 */
#ifndef FLOWLB_REST_H
#define FLOWLB_REST_H 1

#include <stdint.h>
#include <jansson.h>

struct event_base;
struct lb_model;
struct lb_service;
struct render_status;
struct rest;

/* How rest tells the rest of flowlbd about the services.  Either callback
 * may be NULL; 'aux' is passed to both. */
struct rest_hooks {
    /* Called after every change to the model that was saved. */
    void (*changed)(void *aux);

    /* Called with every service's REST view before it is answered, to add
     * what lb does not know, e.g. per-switch sync status. */
    void (*decorate_service)(json_t *service_json,
                             const struct lb_service *, void *aux);

    /* The same for a switch's view (GET /v1/switches/{dpid}). */
    void (*decorate_switch)(json_t *switch_json, uint64_t dpid, void *aux);

    /* The same for GET /v1/status. */
    void (*decorate_status)(json_t *status_json, void *aux);

    void *aux;
};

struct rest *rest_create(struct event_base *, const struct render_status *,
                         struct lb_model *, const char *state_path,
                         const struct rest_hooks *);
int rest_listen(struct rest *, const char *address, char **bound);
void rest_destroy(struct rest *);

#endif /* flowlb/rest.h */
