/*
 * rest: the JSON REST API over HTTP (libevent's evhttp).
 *
 * v1 so far: GET /v1/switches, GET /v1/switches/{dpid}, GET /v1/status.
 * Every answer is JSON, errors included:
 * {"error": {"status": N, "field": ..., "message": "..."}}.
 */
#ifndef FLOWLB_REST_H
#define FLOWLB_REST_H 1

struct event_base;
struct render_status;
struct rest;

struct rest *rest_create(struct event_base *, const struct render_status *);
int rest_listen(struct rest *, const char *address, char **bound);
void rest_destroy(struct rest *);

#endif /* flowlb/rest.h */
