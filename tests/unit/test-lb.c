/*
 * Tests of lb: the services model, its validation and its JSON.
 */
#include <config.h>
#include "flowlb/lb.h"

#include <math.h>
#include <string.h>
#include "flowlb/lb-algo.h"
#include "flowlb/pipeline.h"
#include "hash.h"
#include "packets.h"
#include "unit.h"

static json_t *
parse(const char *text)
{
    json_error_t error;
    json_t *json = json_loads(text, 0, &error);
    if (!json) {
        fprintf(stderr, "bad test JSON: %s: %s\n", text, error.text);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(json);
    return json;
}

/* Returns the state-file JSON of 'model' as text, for comparisons. */
static char *
dump(const struct lb_model *model)
{
    json_t *json = lb_model_to_json(model);
    char *text = json_dumps(json, JSON_SORT_KEYS);
    json_decref(json);
    return text;
}

/* Creates a service from 'text' in 'model' and returns it; the test fails
 * if that fails. */
static struct lb_service *
create(struct lb_model *model, const char *text)
{
    struct lb_error error = { .status = 0 };
    struct lb_service *svc = NULL;
    json_t *body = parse(text);
    int status = lb_service_create(model, body, 0x1234, &svc, &error);
    if (status) {
        fprintf(stderr, "%s: %s\n", text, error.message);
        lb_error_clear(&error);
    }
    json_decref(body);
    CU_ASSERT_EQUAL_FATAL(status, 0);
    return svc;
}

/* Returns the status of creating a service from 'text' and stores the
 * field at fault into 'field' (a copy, or "-" for none). */
static int
try_create(struct lb_model *model, const char *text, char field[64],
           char **message)
{
    struct lb_error error = { .status = 0 };
    struct lb_service *svc;
    json_t *body = parse(text);
    int status = lb_service_create(model, body, 1, &svc, &error);
    json_decref(body);

    snprintf(field, 64, "%s", error.field ? error.field : "-");
    if (message) {
        *message = error.message ? xstrdup(error.message) : NULL;
    }
    lb_error_clear(&error);
    return status;
}

static void
test_names(void)
{
    CU_ASSERT_STRING_EQUAL(lb_protocol_name(LB_PROTO_ANY), "any");
    CU_ASSERT_STRING_EQUAL(lb_key_name(LB_KEY_SRC_DST_LABEL),
                           "src-dst-label");
    CU_ASSERT_STRING_EQUAL(lb_key_name(LB_KEY_FIVE_TUPLE), "5tuple");
    CU_ASSERT_STRING_EQUAL(lb_forwarding_name(LB_FWD_DSR), "dsr");
    CU_ASSERT_STRING_EQUAL(lb_member_state_name(LB_MEMBER_DRAIN), "drain");
    CU_ASSERT_STRING_EQUAL(lb_persistence_name(LB_PERSIST_STATEFUL),
                           "stateful");
    CU_ASSERT_STRING_EQUAL(lb_label_change_name(LB_LABEL_REBALANCE),
                           "rebalance");
    CU_ASSERT_STRING_EQUAL(lb_label_change_name(99), "<unknown>");
}

static void
test_create(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = create(model, "{\"name\": \"web\", "
        "\"vip\": \"2001:db8::100\", \"ports\": [443, 80], "
        "\"switches\": [\"00000000000000B0\"], \"members\": ["
        "{\"address\": \"2001:db8::21\"}, "
        "{\"address\": \"2001:db8::22\", \"weight\": 3, "
        "\"mac\": \"02:00:00:00:00:22\", \"state\": \"drain\"}]}");

    CU_ASSERT_EQUAL(svc->id, 1);
    CU_ASSERT_EQUAL(model->next_service_id, 2);
    CU_ASSERT_EQUAL(model->generation, 1);
    CU_ASSERT_EQUAL(svc->generation, 1);
    CU_ASSERT_EQUAL(svc->hash_basis, 0x1234);
    CU_ASSERT_FALSE(svc->is_ipv4);
    CU_ASSERT_EQUAL(svc->protocol, LB_PROTO_TCP);
    CU_ASSERT_EQUAL(svc->key, LB_KEY_SRC_DST_LABEL);
    CU_ASSERT_EQUAL_FATAL(svc->n_ports, 2);
    CU_ASSERT_EQUAL(svc->ports[0], 80);
    CU_ASSERT_EQUAL(svc->ports[1], 443);
    CU_ASSERT_EQUAL_FATAL(svc->n_switches, 1);
    CU_ASSERT_EQUAL(svc->switches[0], 0xb0);
    CU_ASSERT_EQUAL(ovs_list_size(&svc->members), 2);
    CU_ASSERT_EQUAL(svc->next_member_id, 3);

    struct lb_member *m = lb_member_find(svc, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->weight, 3);
    CU_ASSERT_EQUAL(m->state, LB_MEMBER_DRAIN);
    CU_ASSERT_TRUE(m->has_mac);

    /* IPv4: stored IPv4-mapped, 5-tuple by default. */
    struct lb_service *v4 = create(model, "{\"name\": \"v4\", "
                                   "\"vip\": \"192.0.2.1\"}");
    CU_ASSERT_EQUAL(v4->id, 2);
    CU_ASSERT_TRUE(v4->is_ipv4);
    CU_ASSERT_TRUE(IN6_IS_ADDR_V4MAPPED(&v4->vip));
    CU_ASSERT_EQUAL(v4->key, LB_KEY_FIVE_TUPLE);
    CU_ASSERT_EQUAL(model->generation, 2);

    /* Lookups. */
    CU_ASSERT_PTR_EQUAL(lb_service_lookup(model, "1"), svc);
    CU_ASSERT_PTR_EQUAL(lb_service_lookup(model, "web"), svc);
    CU_ASSERT_PTR_EQUAL(lb_service_lookup(model, "v4"), v4);
    CU_ASSERT_PTR_NULL(lb_service_lookup(model, "3"));
    CU_ASSERT_PTR_NULL(lb_service_lookup(model, "99999999999"));
    CU_ASSERT_PTR_NULL(lb_service_lookup(model, ""));

    size_t n;
    const struct lb_service **list = lb_model_sorted(model, &n);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(list[0]->id, 1);
    CU_ASSERT_EQUAL(list[1]->id, 2);
    free(list);

    /* Ids are never reused. */
    lb_service_delete(model, v4);
    CU_ASSERT_EQUAL(model->generation, 3);
    struct lb_service *again = create(model, "{\"name\": \"v4\", "
                                      "\"vip\": \"192.0.2.1\"}");
    CU_ASSERT_EQUAL(again->id, 3);

    lb_model_destroy(model);
    lb_model_destroy(NULL);
}

/* persistence, idle_timeout and label_change: defaults follow persistence
 * and family, and a PATCH that changes those re-takes the default unless
 * it sets label_change itself. */
static void
test_persistence(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_error error = { .status = 0 };

    struct lb_service *svc = create(model, "{\"name\": \"web\", "
                                    "\"vip\": \"2001:db8::100\"}");
    CU_ASSERT_EQUAL(svc->persistence, LB_PERSIST_STATELESS);
    CU_ASSERT_EQUAL(svc->idle_timeout, 300);
    CU_ASSERT_EQUAL(svc->label_change, LB_LABEL_REBALANCE);

    json_t *body = parse("{\"persistence\": \"stateful\"}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 0);
    json_decref(body);
    CU_ASSERT_EQUAL(svc->persistence, LB_PERSIST_STATEFUL);
    CU_ASSERT_EQUAL(svc->label_change, LB_LABEL_FOLLOW);

    body = parse("{\"label_change\": \"drop\", \"idle_timeout\": 5}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 0);
    json_decref(body);
    CU_ASSERT_EQUAL(svc->label_change, LB_LABEL_DROP);
    CU_ASSERT_EQUAL(svc->idle_timeout, 5);
    CU_ASSERT_EQUAL(lb_service_stick_cookie(svc, 3), 0xf1b1020000010003ULL);

    /* Another field leaves label_change alone. */
    body = parse("{\"ports\": [80]}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 0);
    json_decref(body);
    CU_ASSERT_EQUAL(svc->label_change, LB_LABEL_DROP);

    /* Back to stateless: "drop" would mean nothing, so the default. */
    body = parse("{\"persistence\": \"stateless\"}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 0);
    json_decref(body);
    CU_ASSERT_EQUAL(svc->label_change, LB_LABEL_REBALANCE);
    CU_ASSERT_EQUAL(svc->idle_timeout, 5);

    /* Saying it explicitly is refused, and changes nothing. */
    uint64_t generation = svc->generation;
    body = parse("{\"label_change\": \"follow\"}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 422);
    CU_ASSERT_STRING_EQUAL(error.field, "label_change");
    lb_error_clear(&error);
    json_decref(body);
    CU_ASSERT_EQUAL(svc->generation, generation);

    /* IPv4 stateful: follow only. */
    struct lb_service *v4 = create(model, "{\"name\": \"v4\", "
                                   "\"vip\": \"192.0.2.1\", "
                                   "\"persistence\": \"stateful\"}");
    CU_ASSERT_EQUAL(v4->label_change, LB_LABEL_FOLLOW);

    /* A state file from before these fields existed loads with the
     * defaults. */
    json_t *state = parse("{\"version\": 1, \"vmac\": \"02:00:00:00:00:01\", "
                          "\"next_service_id\": 2, \"services\": [{"
                          "\"id\": 1, \"name\": \"old\", "
                          "\"vip\": \"2001:db8::1\", \"protocol\": \"tcp\", "
                          "\"ports\": [], \"key\": \"src-label\", "
                          "\"forwarding\": \"dsr\", \"switches\": [], "
                          "\"hash_basis\": \"0x0000000000000001\", "
                          "\"next_member_id\": 1, "
                          "\"members\": []}]}");
    struct lb_model *old;
    int retval = lb_model_from_json(state, &old, &error);
    if (retval) {
        fprintf(stderr, "%s: %s\n", error.field, error.message);
    }
    CU_ASSERT_EQUAL_FATAL(retval, 0);
    json_decref(state);
    svc = lb_service_find(old, 1);
    CU_ASSERT_EQUAL(svc->persistence, LB_PERSIST_STATELESS);
    CU_ASSERT_EQUAL(svc->label_change, LB_LABEL_REBALANCE);
    CU_ASSERT_EQUAL(svc->idle_timeout, 300);
    lb_model_destroy(old);
    lb_model_destroy(model);
}

/* Every field's bad values, against a model with one IPv6 service "web"
 * (2001:db8::100, tcp 80) and one IPv6 "dns" (2001:db8::200, udp 53). */
static void
test_invalid(void)
{
    static const struct {
        const char *body;
        int status;
        const char *field;
    } cases[] = {
#define S(REST) "{\"name\": \"x\", \"vip\": \"2001:db8::1\"" REST "}"
#define M(MEMBERS) S(", \"members\": [" MEMBERS "]")
        { "{\"vip\": \"2001:db8::1\"}", 422, "name" },
        { "{\"name\": \"9x\", \"vip\": \"2001:db8::1\"}", 422, "name" },
        { "{\"name\": \"x/y\", \"vip\": \"2001:db8::1\"}", 422, "name" },
        { "{\"name\": \"\", \"vip\": \"2001:db8::1\"}", 422, "name" },
        { "{\"name\": null, \"vip\": \"2001:db8::1\"}", 422, "name" },
        { S(", \"extra\": 1"), 422, "extra" },
        { S(", \"persistence\": \"sticky\""), 422, "persistence" },
        { S(", \"persistence\": 1"), 422, "persistence" },
        { S(", \"idle_timeout\": 0"), 422, "idle_timeout" },
        { S(", \"idle_timeout\": 65536"), 422, "idle_timeout" },
        { S(", \"idle_timeout\": 1.5"), 422, "idle_timeout" },
        { S(", \"label_change\": \"keep\""), 422, "label_change" },
        { S(", \"label_change\": \"follow\""), 422, "label_change" },
        { S(", \"label_change\": \"drop\""), 422, "label_change" },
        { "{\"name\": \"x\", \"vip\": \"192.0.2.9\", "
          "\"persistence\": \"stateful\", \"label_change\": \"drop\"}",
          422, "label_change" },
        { "{\"name\": \"x\"}", 422, "vip" },
        { "{\"name\": \"x\", \"vip\": \"1.2.3\"}", 422, "vip" },
        { "{\"name\": \"x\", \"vip\": \"ff05::1\"}", 422, "vip" },
        { "{\"name\": \"x\", \"vip\": \"::\"}", 422, "vip" },
        { "{\"name\": \"x\", \"vip\": \"::1\"}", 422, "vip" },
        { "{\"name\": \"x\", \"vip\": \"::ffff:1.2.3.4\"}", 422, "vip" },
        { "{\"name\": \"x\", \"vip\": \"127.0.0.2\"}", 422, "vip" },
        { "{\"name\": \"x\", \"vip\": \"239.1.1.1\"}", 422, "vip" },
        { "{\"name\": \"x\", \"vip\": \"0.0.0.0\"}", 422, "vip" },
        { S(", \"protocol\": \"TCP\""), 422, "protocol" },
        { S(", \"ports\": {}"), 422, "ports" },
        { S(", \"ports\": [1, 0]"), 422, "ports[1]" },
        { S(", \"ports\": [65536]"), 422, "ports[0]" },
        { S(", \"ports\": [-1]"), 422, "ports[0]" },
        { S(", \"ports\": [true]"), 422, "ports[0]" },
        { S(", \"ports\": [8, 9, 8]"), 422, "ports[2]" },
        { S(", \"protocol\": \"any\", \"ports\": [8]"), 422, "ports" },
        { S(", \"key\": \"label\""), 422, "key" },
        { "{\"name\": \"x\", \"vip\": \"192.0.2.9\", \"key\": \"src-label\"}",
          422, "key" },
        { S(", \"forwarding\": \"lsnat\""), 422, "forwarding" },
        { S(", \"switches\": [\"b0\"]"), 422, "switches[0]" },
        { S(", \"switches\": [1]"), 422, "switches[0]" },
        { S(", \"switches\": [\"00000000000000b0\", \"00000000000000b0\"]"),
          422, "switches[1]" },
        { S(", \"members\": 1"), 422, "members" },
        { M("1"), 422, "members[0]" },
        { M("{}"), 422, "members[0].address" },
        { M("{\"address\": \"192.0.2.2\"}"), 422, "members[0].address" },
        { M("{\"address\": \"2001:db8::1\"}"), 422, "members[0].address" },
        { M("{\"address\": \"2001:db8::2\"}, {\"address\": \"2001:db8::3\", "
            "\"weight\": 0}"), 422, "members[1].weight" },
        { M("{\"address\": \"2001:db8::2\", \"weight\": 257}"), 422,
          "members[0].weight" },
        { M("{\"address\": \"2001:db8::2\", \"weight\": 1.0}"), 422,
          "members[0].weight" },
        { M("{\"address\": \"2001:db8::2\", \"state\": \"on\"}"), 422,
          "members[0].state" },
        { M("{\"address\": \"2001:db8::2\", \"mac\": \"03:00:00:00:00:01\"}"),
          422, "members[0].mac" },
        { M("{\"address\": \"2001:db8::2\", \"mac\": \"00:00:00:00:00:00\"}"),
          422, "members[0].mac" },
        { M("{\"address\": \"2001:db8::2\", \"mac\": \"0:0:0:0:0:1\"}"),
          422, "members[0].mac" },
        { M("{\"address\": \"2001:db8::2\", \"id\": 4}"), 422,
          "members[0].id" },
        { M("{\"address\": \"2001:db8::2\"}, {\"address\": \"2001:db8::2\"}"),
          409, "members[1].address" },
        { "{\"name\": \"web\", \"vip\": \"2001:db8::1\"}", 409, "name" },
        /* Overlaps with "web" (tcp 80) and "dns" (udp 53). */
        { "{\"name\": \"x\", \"vip\": \"2001:db8::100\"}", 409, "vip" },
        { "{\"name\": \"x\", \"vip\": \"2001:db8::100\", \"ports\": [81, 80]}",
          409, "vip" },
        { "{\"name\": \"x\", \"vip\": \"2001:db8::100\", "
          "\"protocol\": \"any\"}", 409, "vip" },
        { "{\"name\": \"x\", \"vip\": \"2001:db8::200\", \"protocol\": "
          "\"udp\", \"ports\": [53]}", 409, "vip" },
#undef M
#undef S
    };
    struct lb_model *model = lb_model_create();
    create(model, "{\"name\": \"web\", \"vip\": \"2001:db8::100\", "
           "\"ports\": [80]}");
    create(model, "{\"name\": \"dns\", \"vip\": \"2001:db8::200\", "
           "\"protocol\": \"udp\", \"ports\": [53]}");
    char *before = dump(model);
    uint64_t generation = model->generation;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char field[64];
        int status = try_create(model, cases[i].body, field, NULL);
        if (status != cases[i].status || strcmp(field, cases[i].field)) {
            fprintf(stderr, "case %"PRIuSIZE" %s: got %d %s, expected %d %s\n",
                    i, cases[i].body, status, field, cases[i].status,
                    cases[i].field);
        }
        CU_ASSERT_EQUAL(status, cases[i].status);
        CU_ASSERT_STRING_EQUAL(field, cases[i].field);
    }

    /* Nothing changed. */
    char *after = dump(model);
    CU_ASSERT_STRING_EQUAL(before, after);
    CU_ASSERT_EQUAL(model->generation, generation);
    CU_ASSERT_EQUAL(model->next_service_id, 3);
    free(before);
    free(after);
    lb_model_destroy(model);
}

static void
test_messages(void)
{
    struct lb_model *model = lb_model_create();
    char field[64];
    char *message;

    try_create(model, "{\"name\": \"x\", \"vip\": \"2001:db8::1\", "
               "\"members\": [{\"address\": \"2001:db8::2\"}, "
               "{\"address\": \"2001:db8::3\"}, "
               "{\"address\": \"2001:db8::4\", \"weight\": 0}]}",
               field, &message);
    CU_ASSERT_STRING_EQUAL(message,
                           "members[2].weight: must be an integer from 1 "
                           "to 256");
    free(message);

    try_create(model, "{\"name\": \"x\", \"vip\": \"2001:db8::1\", "
               "\"key\": \"k\"}", field, &message);
    CU_ASSERT_STRING_EQUAL(message, "key: must be one of src-label, "
                           "src-dst-label, 5tuple, src");
    free(message);

    try_create(model, "{\"name\": \"x\", \"vip\": \"192.0.2.1\", "
               "\"members\": [{\"address\": \"2001:db8::2\"}]}",
               field, &message);
    CU_ASSERT_STRING_EQUAL(message, "members[0].address: must be an IPv4 "
                           "address, like the service's VIP");
    free(message);
    lb_model_destroy(model);
}

/* Which services clash: same VIP, overlapping protocols and ports. */
static void
test_overlap(void)
{
    struct lb_model *model = lb_model_create();
    char field[64];

    create(model, "{\"name\": \"a\", \"vip\": \"192.0.2.1\", "
           "\"ports\": [80, 443]}");
    /* Other protocol, other port, other VIP: no clash. */
    create(model, "{\"name\": \"b\", \"vip\": \"192.0.2.1\", "
           "\"protocol\": \"udp\", \"ports\": [80]}");
    create(model, "{\"name\": \"c\", \"vip\": \"192.0.2.1\", "
           "\"ports\": [8080]}");
    create(model, "{\"name\": \"d\", \"vip\": \"192.0.2.2\", "
           "\"protocol\": \"any\"}");

    /* Every port of tcp clashes with a and c. */
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"x\", \"vip\": "
                               "\"192.0.2.1\"}", field, NULL), 409);
    /* any clashes with everything on its VIP. */
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"x\", \"vip\": "
                               "\"192.0.2.2\", \"ports\": [1]}", field, NULL),
                    409);
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"x\", \"vip\": "
                               "\"192.0.2.2\", \"protocol\": \"udp\"}",
                               field, NULL), 409);
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"x\", \"vip\": "
                               "\"192.0.2.1\", \"protocol\": \"any\"}",
                               field, NULL), 409);
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"x\", \"vip\": "
                               "\"192.0.2.1\", \"protocol\": \"udp\"}",
                               field, NULL), 409);
    CU_ASSERT_STRING_EQUAL(field, "vip");
    /* udp 53 is free. */
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"x\", \"vip\": "
                               "\"192.0.2.1\", \"protocol\": \"udp\", "
                               "\"ports\": [53]}", field, NULL), 0);

    /* A service does not clash with itself when replaced. */
    struct lb_service *a = lb_service_find_by_name(model, "a");
    struct lb_error error = { .status = 0 };
    json_t *body = parse("{\"ports\": [443]}");
    CU_ASSERT_EQUAL(lb_service_patch(model, a, body, &error), 0);
    json_decref(body);
    lb_model_destroy(model);
}

static void
test_put_patch(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = create(model, "{\"name\": \"web\", "
        "\"vip\": \"2001:db8::100\", \"ports\": [80], \"key\": \"src\", "
        "\"members\": [{\"address\": \"2001:db8::21\"}, "
        "{\"address\": \"2001:db8::22\"}]}");
    struct lb_error error = { .status = 0 };

    /* PATCH keeps what it does not name. */
    json_t *body = parse("{\"ports\": [81, 80]}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 0);
    json_decref(body);
    CU_ASSERT_EQUAL(svc->n_ports, 2);
    CU_ASSERT_EQUAL(svc->key, LB_KEY_SRC);
    CU_ASSERT_STRING_EQUAL(svc->name, "web");
    CU_ASSERT_EQUAL(svc->generation, 2);
    CU_ASSERT_EQUAL(ovs_list_size(&svc->members), 2);

    /* PUT resets what it does not name, keeps members and the basis. */
    body = parse("{\"name\": \"www\", \"vip\": \"2001:db8::100\"}");
    CU_ASSERT_EQUAL(lb_service_put(model, svc, body, &error), 0);
    json_decref(body);
    CU_ASSERT_EQUAL(svc->n_ports, 0);
    CU_ASSERT_PTR_NULL(svc->ports);
    CU_ASSERT_EQUAL(svc->key, LB_KEY_SRC_DST_LABEL);
    CU_ASSERT_STRING_EQUAL(svc->name, "www");
    CU_ASSERT_EQUAL(svc->hash_basis, 0x1234);
    CU_ASSERT_EQUAL(ovs_list_size(&svc->members), 2);
    CU_ASSERT_EQUAL(svc->generation, 3);

    /* A member list: a kept address keeps its id and live state. */
    struct lb_member *m2 = lb_member_find(svc, 2);
    m2->resolved = true;
    m2->resolved_mac = (struct eth_addr) ETH_ADDR_C(0a, 00, 00, 00, 00, 22);
    m2->n_packets = 10;
    body = parse("{\"members\": [{\"address\": \"2001:db8::23\"}, "
                 "{\"address\": \"2001:db8::22\", \"weight\": 4}]}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 0);
    json_decref(body);
    CU_ASSERT_EQUAL(ovs_list_size(&svc->members), 2);
    CU_ASSERT_PTR_NULL(lb_member_find(svc, 1));
    CU_ASSERT_PTR_EQUAL(lb_member_find(svc, 2), m2);
    CU_ASSERT_TRUE(m2->resolved);
    CU_ASSERT_EQUAL(m2->n_packets, 10);
    CU_ASSERT_EQUAL(m2->weight, 4);
    CU_ASSERT_PTR_NOT_NULL(lb_member_find(svc, 3));
    /* Ascending ids. */
    struct lb_member *first = CONTAINER_OF(ovs_list_front(&svc->members),
                                           struct lb_member, node);
    CU_ASSERT_EQUAL(first->id, 2);

    /* Changing the VIP's family needs a key and members to match. */
    body = parse("{\"vip\": \"192.0.2.1\"}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 422);
    CU_ASSERT_STRING_EQUAL(error.field, "key");
    lb_error_clear(&error);
    json_decref(body);
    body = parse("{\"vip\": \"192.0.2.1\", \"key\": \"5tuple\"}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 422);
    CU_ASSERT_STRING_EQUAL(error.field, "vip");
    lb_error_clear(&error);
    json_decref(body);
    body = parse("{\"vip\": \"192.0.2.1\", \"key\": \"5tuple\", "
                 "\"members\": [{\"address\": \"192.0.2.22\"}]}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 0);
    json_decref(body);
    CU_ASSERT_TRUE(svc->is_ipv4);
    CU_ASSERT_EQUAL(ovs_list_size(&svc->members), 1);
    CU_ASSERT_PTR_NOT_NULL(lb_member_find(svc, 4));
    lb_model_destroy(model);
}

/* A rejected change, however late its error, changes nothing. */
static void
test_all_or_nothing(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = create(model, "{\"name\": \"web\", "
        "\"vip\": \"2001:db8::100\", \"members\": "
        "[{\"address\": \"2001:db8::21\", \"weight\": 2}]}");
    create(model, "{\"name\": \"other\", \"vip\": \"2001:db8::200\"}");
    char *before = dump(model);
    struct lb_error error = { .status = 0 };

    json_t *body = parse("{\"name\": \"web2\", \"vip\": \"2001:db8::101\", "
                         "\"members\": [{\"address\": \"2001:db8::21\", "
                         "\"weight\": 9}, {\"address\": \"2001:db8::22\"}, "
                         "{\"address\": \"2001:db8::23\", "
                         "\"state\": \"x\"}]}");
    CU_ASSERT_EQUAL(lb_service_put(model, svc, body, &error), 422);
    CU_ASSERT_STRING_EQUAL(error.field, "members[2].state");
    lb_error_clear(&error);
    json_decref(body);

    body = parse("{\"name\": \"other\"}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 409);
    lb_error_clear(&error);
    json_decref(body);

    struct lb_member *m = lb_member_find(svc, 1);
    body = parse("{\"weight\": 0}");
    CU_ASSERT_EQUAL(lb_member_patch(model, svc, m, body, &error), 422);
    CU_ASSERT_STRING_EQUAL(error.field, "weight");
    CU_ASSERT_STRING_EQUAL(error.message,
                           "weight: must be an integer from 1 to 256");
    lb_error_clear(&error);
    json_decref(body);

    char *after = dump(model);
    CU_ASSERT_STRING_EQUAL(before, after);
    CU_ASSERT_EQUAL(model->generation, 2);
    CU_ASSERT_EQUAL(svc->next_member_id, 2);
    free(before);
    free(after);
    lb_model_destroy(model);
}

static void
test_members(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = create(model, "{\"name\": \"web\", "
                                    "\"vip\": \"192.0.2.1\"}");
    struct lb_error error = { .status = 0 };
    struct lb_member *m;

    json_t *body = parse("{\"address\": \"192.0.2.11\"}");
    CU_ASSERT_EQUAL(lb_member_create(model, svc, body, &m, &error), 0);
    CU_ASSERT_EQUAL(m->id, 1);
    CU_ASSERT_EQUAL(m->weight, 1);
    CU_ASSERT_EQUAL(m->state, LB_MEMBER_ENABLED);
    CU_ASSERT_FALSE(m->has_mac);
    CU_ASSERT_EQUAL(svc->generation, model->generation);

    /* The same address again: 409. */
    CU_ASSERT_EQUAL(lb_member_create(model, svc, body, &m, &error), 409);
    CU_ASSERT_STRING_EQUAL(error.field, "address");
    lb_error_clear(&error);
    json_decref(body);

    /* PATCH keeps live state while the address stays; PUT of another
     * address drops it. */
    m = lb_member_find(svc, 1);
    m->resolved = true;
    m->n_packets = 5;
    m->n_bytes = 500;
    body = parse("{\"weight\": 7, \"mac\": \"02:00:00:00:00:11\"}");
    CU_ASSERT_EQUAL(lb_member_patch(model, svc, m, body, &error), 0);
    json_decref(body);
    CU_ASSERT_EQUAL(m->weight, 7);
    CU_ASSERT_TRUE(m->has_mac);
    CU_ASSERT_TRUE(m->resolved);
    CU_ASSERT_EQUAL(m->n_packets, 5);

    body = parse("{\"mac\": null}");
    CU_ASSERT_EQUAL(lb_member_patch(model, svc, m, body, &error), 0);
    json_decref(body);
    CU_ASSERT_FALSE(m->has_mac);
    CU_ASSERT_EQUAL(m->weight, 7);

    body = parse("{\"address\": \"192.0.2.12\"}");
    CU_ASSERT_EQUAL(lb_member_put(model, svc, m, body, &error), 0);
    json_decref(body);
    CU_ASSERT_FALSE(m->resolved);
    CU_ASSERT_EQUAL(m->n_packets, 0);
    CU_ASSERT_EQUAL(m->weight, 1);

    /* Delete; the id is not reused. */
    uint64_t generation = model->generation;
    lb_member_delete(model, svc, m);
    CU_ASSERT_EQUAL(model->generation, generation + 1);
    CU_ASSERT_TRUE(ovs_list_is_empty(&svc->members));
    body = parse("{\"address\": \"192.0.2.13\"}");
    CU_ASSERT_EQUAL(lb_member_create(model, svc, body, &m, &error), 0);
    json_decref(body);
    CU_ASSERT_EQUAL(m->id, 2);
    lb_model_destroy(model);
}

static void
test_rest_json(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = create(model, "{\"name\": \"web\", "
        "\"vip\": \"2001:DB8::0100\", \"members\": ["
        "{\"address\": \"2001:db8::21\", \"mac\": \"02:00:00:00:00:21\"}, "
        "{\"address\": \"2001:db8::22\"}, "
        "{\"address\": \"2001:db8::23\", \"state\": \"disabled\", "
        "\"mac\": \"02:00:00:00:00:23\"}]}");
    struct lb_member *m2 = lb_member_find(svc, 2);
    m2->resolved = true;
    m2->resolved_mac = (struct eth_addr) ETH_ADDR_C(0a, bb, 00, 00, 00, 22);
    m2->n_packets = 3;
    m2->n_bytes = 300;
    lb_member_find(svc, 1)->n_packets = 4;

    json_t *j = lb_service_to_json(svc);
    char *text = json_dumps(json_object_get(j, "openflow"), JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"cookie\": \"0xf1b0000000010000\", "
                           "\"cookie_mask\": \"0xffffffffffff0000\", "
                           "\"groups\": {\"5tuple\": 18, \"label\": 17}, "
                           "\"tables\": [0]}");
    free(text);
    text = json_dumps(json_object_get(j, "status"), JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"bytes\": 300, \"fragments\": 0, "
                           "\"label_change_drops\": 0, "
                           "\"members_active\": 2, \"packets\": 7, "
                           "\"ptb_broadcast\": 0, \"ptb_delivered\": 0, "
                           "\"stick_entries\": 0}");
    free(text);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "vip")),
                           "2001:db8::100");
    CU_ASSERT_PTR_NULL(json_object_get(j, "hash_basis"));
    json_decref(j);

    j = lb_member_to_json(m2);
    text = json_dumps(j, JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"address\": \"2001:db8::22\", "
                           "\"backup\": null, \"cost\": 1, "
                           "\"id\": 2, \"mac\": null, \"port\": 0, "
                           "\"state\": "
                           "\"enabled\", \"status\": {"
                           "\"bucket_weight\": 0, \"bytes\": 300, "
                           "\"health\": \"unknown\", "
                           "\"health_history\": [], "
                           "\"health_reason\": null, "
                           "\"health_since\": null, "
                           "\"mac\": \"0a:bb:00:00:00:22\", \"mac_source\": "
                           "\"resolved\", \"napt_exhausted\": 0, "
                           "\"packets\": 3, "
                           "\"reply_bytes\": 0, \"reply_packets\": 0, "
                           "\"rtt_ms\": null, \"sessions\": 0, "
                           "\"stick_entries\": 0, \"takes_sessions\": true, "
                           "\"traffic_rate\": 0.0}, \"weight\": 1}");
    free(text);
    json_decref(j);

    /* No label group for the 5-tuple key. */
    struct lb_service *v4 = create(model, "{\"name\": \"v4\", "
                                   "\"vip\": \"192.0.2.1\"}");
    j = lb_service_to_json(v4);
    text = json_dumps(json_object_get(json_object_get(j, "openflow"),
                                      "groups"), JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"5tuple\": 34, \"fragments\": 35}");
    free(text);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "family")),
                           "ipv4");
    json_decref(j);
    lb_model_destroy(model);
}

/* Every field, sorted as json_dumps(JSON_SORT_KEYS) writes them: a stateful
 * DSR service with an http monitor, backups and costs, an IPv4 DSR one and
 * a NAPT one. */
static const char state_json[] =
    "{\"next_service_id\": 7, \"services\": ["
    "{\"algorithm\": \"cost-least-load\", \"ct_zone\": 1, "
    "\"decision\": \"datapath-fast\", "
    "\"forwarding\": \"dsr\", \"hash_basis\": \"0x0123456789abcdef\", "
    "\"health\": {\"expect\": 204, \"fall\": 3, \"interval\": 2.5, "
    "\"path\": \"/health?x=1\", \"port\": 8080, \"rise\": 1, "
    "\"timeout\": 0.5, \"type\": \"http\"}, "
    "\"id\": 1, \"idle_timeout\": 30, \"key\": \"src-label\", "
    "\"label_change\": \"drop\", \"members\": ["
    "{\"address\": \"2001:db8::21\", \"backup\": 7, \"cost\": 2.5, "
    "\"id\": 2, \"mac\": null, "
    "\"port\": 0, \"state\": \"enabled\", \"weight\": 1}, "
    "{\"address\": \"2001:db8::22\", \"backup\": null, "
    "\"cost\": \"infinity\", \"id\": 7, "
    "\"mac\": \"02:00:00:00:00:22\", \"port\": 0, \"state\": \"drain\", "
    "\"weight\": 256}"
    "], \"name\": \"web\", \"next_member_id\": 8, "
    "\"passive_timeout\": 0, \"per_session_rate\": 1000, "
    "\"persistence\": \"stateful\", \"ports\": [80, 443], "
    "\"protocol\": \"tcp\", \"session_weight\": 1, "
    "\"switches\": [\"00000000000000b0\"], "
    "\"traffic_metric\": \"bytes\", \"traffic_window\": 10, "
    "\"vip\": \"2001:db8::100\"}, "
    "{\"algorithm\": \"weighted-round-robin\", \"ct_zone\": 2, "
    "\"decision\": \"datapath-fast\", "
    "\"forwarding\": \"dsr\", \"hash_basis\": \"0xffffffffffffffff\", "
    "\"health\": null, "
    "\"id\": 4, \"idle_timeout\": 300, \"key\": \"src\", "
    "\"label_change\": \"rebalance\", \"members\": [], \"name\": \"v4\", "
    "\"next_member_id\": 1, \"passive_timeout\": 0, "
    "\"per_session_rate\": 1000, \"persistence\": \"stateless\", "
    "\"ports\": [], \"protocol\": \"any\", \"session_weight\": 1, "
    "\"switches\": [], \"traffic_metric\": \"bytes\", "
    "\"traffic_window\": 10, \"vip\": \"192.0.2.1\"}, "
    "{\"algorithm\": \"least-sessions\", \"ct_zone\": 9, "
    "\"decision\": \"per-session\", "
    "\"forwarding\": \"napt\", \"hash_basis\": \"0x0000000000000006\", "
    "\"health\": {\"fall\": 2, \"interval\": 1, \"port\": 0, "
    "\"rise\": 2, \"timeout\": 1, \"type\": \"tcp\"}, "
    "\"id\": 6, \"idle_timeout\": 300, \"key\": \"5tuple\", "
    "\"label_change\": \"rebalance\", \"members\": ["
    "{\"address\": \"192.0.2.21\", \"backup\": null, \"cost\": 1, "
    "\"id\": 1, \"mac\": null, \"port\": 8080, \"state\": \"enabled\", "
    "\"weight\": 1}], "
    "\"name\": \"napt\", \"next_member_id\": 2, "
    "\"passive_timeout\": 30, \"per_session_rate\": 50, "
    "\"persistence\": \"stateless\", \"ports\": [80], "
    "\"protocol\": \"tcp\", \"session_weight\": 3, "
    "\"source\": \"192.0.2.9\", \"source_ports\": [2000, 3000], "
    "\"switches\": [], \"timeouts\": {\"icmp\": 5, \"tcp\": 7200, "
    "\"udp\": 30}, \"traffic_metric\": \"packets\", "
    "\"traffic_window\": 60, \"vip\": \"192.0.2.8\"}], "
    "\"version\": 1, \"vmac\": \"02:00:00:00:00:01\"}";

static void
test_state_round_trip(void)
{
    struct lb_error error = { .status = 0 };
    struct lb_model *model;
    json_t *json = parse(state_json);

    CU_ASSERT_EQUAL_FATAL(lb_model_from_json(json, &model, &error), 0);
    json_decref(json);
    char *text = dump(model);
    CU_ASSERT_STRING_EQUAL(text, state_json);
    free(text);

    struct lb_service *svc = lb_service_find(model, 1);
    CU_ASSERT_EQUAL(svc->hash_basis, 0x0123456789abcdefULL);
    CU_ASSERT_EQUAL(svc->next_member_id, 8);
    CU_ASSERT_EQUAL(model->next_service_id, 7);

    /* New ids follow the saved counters. */
    struct lb_service *n = create(model, "{\"name\": \"n\", "
                                  "\"vip\": \"192.0.2.2\"}");
    CU_ASSERT_EQUAL(n->id, 7);
    struct lb_member *m;
    json = parse("{\"address\": \"2001:db8::23\"}");
    CU_ASSERT_EQUAL(lb_member_create(model, svc, json, &m, &error), 0);
    json_decref(json);
    CU_ASSERT_EQUAL(m->id, 8);

    /* And a model built by REST calls survives the trip too. */
    text = dump(model);
    struct lb_model *copy;
    json = lb_model_to_json(model);
    CU_ASSERT_EQUAL_FATAL(lb_model_from_json(json, &copy, &error), 0);
    json_decref(json);
    char *text2 = dump(copy);
    CU_ASSERT_STRING_EQUAL(text, text2);
    free(text);
    free(text2);
    lb_model_destroy(copy);
    lb_model_destroy(model);
}

/* Sets the member at 'path' (object keys and array indexes) of a copy of
 * 'state_json' to 'value' (JSON text), or deletes it if 'value' is NULL,
 * and checks that loading the result fails at 'field'. */
static void
check_bad_state(const char *const path[], const char *value,
                const char *field)
{
    json_t *json = parse(state_json);
    json_t *parent = json;
    size_t i;

    for (i = 0; path[i + 1]; i++) {
        json_t *next = (json_is_array(parent)
                        ? json_array_get(parent, atoi(path[i]))
                        : json_object_get(parent, path[i]));
        CU_ASSERT_PTR_NOT_NULL_FATAL(next);
        parent = next;
    }
    if (value) {
        json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        json_object_set_new(parent, path[i], v);
    } else {
        json_object_del(parent, path[i]);
    }

    struct lb_error error = { .status = 0 };
    struct lb_model *model = (struct lb_model *) 1;
    CU_ASSERT_NOT_EQUAL(lb_model_from_json(json, &model, &error), 0);
    CU_ASSERT_PTR_NULL(model);
    if (!error.field || strcmp(error.field, field)) {
        fprintf(stderr, "expected %s, got %s: %s\n", field,
                error.field ? error.field : "(null)", error.message);
    }
    CU_ASSERT_STRING_EQUAL(error.field ? error.field : "", field);
    lb_error_clear(&error);
    json_decref(json);
}

static void
test_state_rejects(void)
{
#define P(...) (const char *const[]) { __VA_ARGS__, NULL }
    check_bad_state(P("version"), "2", "version");
    check_bad_state(P("version"), NULL, "version");
    check_bad_state(P("extra"), "1", "extra");
    check_bad_state(P("vmac"), "\"01:00:00:00:00:01\"", "vmac");
    check_bad_state(P("next_service_id"), "0", "next_service_id");
    check_bad_state(P("next_service_id"), "4", "services[1].id");
    check_bad_state(P("services"), "{}", "services");
    check_bad_state(P("services", "0", "id"), "4", "services[1].id");
    check_bad_state(P("services", "0", "id"), "0", "services[0].id");
    check_bad_state(P("services", "0", "hash_basis"), "\"0x1234\"",
                    "services[0].hash_basis");
    check_bad_state(P("services", "0", "hash_basis"), "12",
                    "services[0].hash_basis");
    check_bad_state(P("services", "0", "hash_basis"), NULL,
                    "services[0].hash_basis");
    check_bad_state(P("services", "0", "ports"), NULL, "services[0].ports");
    check_bad_state(P("services", "0", "next_member_id"), "7",
                    "services[0].members[1].id");
    check_bad_state(P("services", "0", "members", "1", "id"), "2",
                    "services[0].members[1].id");
    check_bad_state(P("services", "0", "members", "1", "weight"), "0",
                    "services[0].members[1].weight");
    check_bad_state(P("services", "0", "members", "1", "mac"), NULL,
                    "services[0].members[1].mac");
    check_bad_state(P("services", "0", "members", "1", "address"),
                    "\"2001:db8::21\"", "services[0].members[1].address");
    check_bad_state(P("services", "1", "name"), "\"web\"",
                    "services[1].name");
    check_bad_state(P("services", "1", "vip"), "\"2001:db8::100\"",
                    "services[1].vip");
    check_bad_state(P("services", "1", "key"), "\"src-label\"",
                    "services[1].key");
#undef P
}

/* A snapshot puts back exactly what was there. */
static void
test_snapshot(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = create(model, "{\"name\": \"web\", "
        "\"vip\": \"2001:db8::100\", \"members\": "
        "[{\"address\": \"2001:db8::21\"}]}");
    lb_member_find(svc, 1)->n_packets = 9;
    char *before = dump(model);
    uint64_t generation = model->generation;
    struct lb_error error = { .status = 0 };

    /* Undo a PATCH. */
    struct lb_snapshot *snap = lb_snapshot_take(model, 1);
    json_t *body = parse("{\"name\": \"www\", \"members\": []}");
    CU_ASSERT_EQUAL(lb_service_patch(model, svc, body, &error), 0);
    json_decref(body);
    lb_snapshot_restore(model, snap);
    svc = lb_service_find(model, 1);
    CU_ASSERT_STRING_EQUAL(svc->name, "web");
    CU_ASSERT_EQUAL(lb_member_find(svc, 1)->n_packets, 9);
    CU_ASSERT_EQUAL(model->generation, generation);

    /* Undo a create. */
    snap = lb_snapshot_take(model, model->next_service_id);
    create(model, "{\"name\": \"n\", \"vip\": \"192.0.2.2\"}");
    lb_snapshot_restore(model, snap);
    CU_ASSERT_EQUAL(model->next_service_id, 2);
    CU_ASSERT_EQUAL(hmap_count(&model->services), 1);

    /* Undo a delete. */
    snap = lb_snapshot_take(model, 1);
    lb_service_delete(model, svc);
    lb_snapshot_restore(model, snap);
    CU_ASSERT_PTR_NOT_NULL(lb_service_find(model, 1));

    char *after = dump(model);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);

    /* A snapshot that is not used is freed. */
    lb_snapshot_destroy(lb_snapshot_take(model, 1));
    lb_snapshot_destroy(NULL);
    lb_model_destroy(model);
}

/* Issue 6: NAT and NAPT, algorithms, health. */

/* Applies PATCH 'text' to 'svc' and returns the status, storing the field
 * at fault into 'field' ("-" for none). */
static int
try_patch(struct lb_model *model, struct lb_service *svc, const char *text,
          char field[64])
{
    struct lb_error error = { .status = 0 };
    json_t *body = parse(text);
    int status = lb_service_patch(model, svc, body, &error);
    json_decref(body);
    snprintf(field, 64, "%s", error.field ? error.field : "-");
    if (status && getenv("UNIT_VERBOSE")) {
        fprintf(stderr, "%s: %s\n", text, error.message);
    }
    lb_error_clear(&error);
    return status;
}

/* Like try_patch() for PUT. */
static int
try_put(struct lb_model *model, struct lb_service *svc, const char *text,
        char field[64])
{
    struct lb_error error = { .status = 0 };
    json_t *body = parse(text);
    int status = lb_service_put(model, svc, body, &error);
    json_decref(body);
    snprintf(field, 64, "%s", error.field ? error.field : "-");
    lb_error_clear(&error);
    return status;
}

/* Creates, PUTs or PATCHes ('method' "POST", "PUT", "PATCH") member 'm'
 * of 'svc' from 'text'; returns the status and the field at fault. */
static int
try_member(struct lb_model *model, struct lb_service *svc,
           const char *method, struct lb_member *m, const char *text,
           char field[64])
{
    struct lb_error error = { .status = 0 };
    json_t *body = parse(text);
    struct lb_member *created;
    int status = (!strcmp(method, "POST")
                  ? lb_member_create(model, svc, body, &created, &error)
                  : !strcmp(method, "PUT")
                  ? lb_member_put(model, svc, m, body, &error)
                  : lb_member_patch(model, svc, m, body, &error));
    json_decref(body);
    snprintf(field, 64, "%s", error.field ? error.field : "-");
    lb_error_clear(&error);
    return status;
}

/* Returns member 'id' of 'svc'; the test fails if there is none. */
static struct lb_member *
member(const struct lb_service *svc, uint32_t id)
{
    struct lb_member *m = lb_member_find(svc, id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    return m;
}

static void
test_new_names(void)
{
    CU_ASSERT_STRING_EQUAL(lb_forwarding_name(LB_FWD_NAPT), "napt");
    CU_ASSERT_STRING_EQUAL(lb_decision_name(LB_DECISION_PER_SESSION),
                           "per-session");
    CU_ASSERT_STRING_EQUAL(lb_decision_name(LB_DECISION_DATAPATH_FAST),
                           "datapath-fast");
    CU_ASSERT_STRING_EQUAL(lb_traffic_metric_name(LB_TRAFFIC_PACKETS),
                           "packets");
    CU_ASSERT_STRING_EQUAL(lb_monitor_name(LB_MONITOR_HTTP), "http");
    CU_ASSERT_STRING_EQUAL(lb_monitor_name(LB_MONITOR_NONE), "none");
    CU_ASSERT_STRING_EQUAL(lb_health_name(LB_HEALTH_DOWN), "down");
    CU_ASSERT_STRING_EQUAL(lb_health_name(LB_HEALTH_UNKNOWN), "unknown");
    CU_ASSERT_STRING_EQUAL(lb_health_name(7), "<unknown>");
    CU_ASSERT_STRING_EQUAL(lb_decision_name(7), "<unknown>");
}

/* A service and its members take the defaults of docs/api.md. */
static void
test_nat_defaults(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *dsr = create(model, "{\"name\": \"dsr\", "
        "\"vip\": \"2001:db8::100\", \"members\": "
        "[{\"address\": \"2001:db8::21\"}]}");
    CU_ASSERT_EQUAL(dsr->forwarding, LB_FWD_DSR);
    CU_ASSERT_FALSE(lb_service_is_nat(dsr));
    CU_ASSERT_EQUAL(dsr->algorithm, LB_ALGO_WEIGHTED_ROUND_ROBIN);
    CU_ASSERT_EQUAL(dsr->decision, LB_DECISION_DATAPATH_FAST);
    CU_ASSERT_EQUAL(dsr->per_session_rate, 1000);
    CU_ASSERT_EQUAL(dsr->traffic_metric, LB_TRAFFIC_BYTES);
    CU_ASSERT_EQUAL(dsr->traffic_window, 10);
    CU_ASSERT_EQUAL(dsr->session_weight, 1);
    CU_ASSERT_EQUAL(dsr->monitor.type, LB_MONITOR_NONE);
    CU_ASSERT_PTR_NULL(dsr->monitor.path);
    CU_ASSERT_EQUAL(dsr->passive_timeout, 0);
    CU_ASSERT_EQUAL(dsr->ct_zone, 1);     /* Every service gets one. */

    struct lb_member *m = member(dsr, 1);
    CU_ASSERT_EQUAL(m->port, 0);
    CU_ASSERT_EQUAL(m->backup, 0);
    CU_ASSERT_EQUAL(m->cost, 1);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_UNKNOWN);
    CU_ASSERT_EQUAL(m->rtt_ms, -1);
    CU_ASSERT_EQUAL(m->bucket_weight, 0);
    CU_ASSERT_EQUAL(m->n_history, 0);

    /* A DSR service's view has no NAT fields, so that it can be PUT
     * back. */
    json_t *j = lb_service_to_json(dsr);
    CU_ASSERT_PTR_NULL(json_object_get(j, "source"));
    CU_ASSERT_PTR_NULL(json_object_get(j, "source_ports"));
    CU_ASSERT_PTR_NULL(json_object_get(j, "timeouts"));
    CU_ASSERT_TRUE(json_is_null(json_object_get(j, "health")));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "algorithm")),
                           "weighted-round-robin");
    CU_ASSERT_PTR_NULL(json_object_get(json_object_get(j, "openflow"),
                                       "ct_zone"));
    json_decref(j);

    struct lb_service *nat = create(model, "{\"name\": \"nat\", "
        "\"vip\": \"192.0.2.1\", \"forwarding\": \"nat\"}");
    CU_ASSERT_TRUE(lb_service_is_nat(nat));
    CU_ASSERT_EQUAL(nat->timeout_tcp, 86400);
    CU_ASSERT_EQUAL(nat->timeout_udp, 60);
    CU_ASSERT_EQUAL(nat->timeout_icmp, 60);
    CU_ASSERT_EQUAL(nat->ct_zone, 2);

    struct lb_service *napt = create(model, "{\"name\": \"napt\", "
        "\"vip\": \"192.0.2.2\", \"forwarding\": \"napt\", "
        "\"source\": \"192.0.2.3\", \"decision\": \"per-session\", "
        "\"health\": {\"type\": \"http\"}}");
    CU_ASSERT_TRUE(lb_service_is_nat(napt));
    CU_ASSERT_EQUAL(napt->source_port_min, 1024);
    CU_ASSERT_EQUAL(napt->source_port_max, 65535);
    struct in6_addr source = unit_ip4("192.0.2.3");
    CU_ASSERT_TRUE(ipv6_addr_equals(&napt->source, &source));
    CU_ASSERT_EQUAL(napt->monitor.type, LB_MONITOR_HTTP);
    CU_ASSERT_EQUAL(napt->monitor.interval_ms, 2000);
    CU_ASSERT_EQUAL(napt->monitor.timeout_ms, 1000);
    CU_ASSERT_EQUAL(napt->monitor.rise, 2);
    CU_ASSERT_EQUAL(napt->monitor.fall, 3);
    CU_ASSERT_EQUAL(napt->monitor.port, 0);
    CU_ASSERT_STRING_EQUAL(napt->monitor.path, "/");
    CU_ASSERT_EQUAL(napt->monitor.expect_status, 200);

    j = lb_service_to_json(napt);
    char *text = json_dumps(json_object_get(j, "openflow"), JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"cookie\": \"0xf1b0000000030000\", "
                           "\"cookie_mask\": \"0xffffffffffff0000\", "
                           "\"ct_zone\": 3, \"ct_zone_snat\": 32771, "
                           "\"groups\": {}, "
                           "\"meter\": 3, "
                           "\"stick_cookie\": \"0xf1b1030000030000\", "
                           "\"stick_cookie_mask\": \"0xffff00ffffff0000\", "
                           "\"tables\": [0, 40, 41, 42, 43, 45]}");
    free(text);
    text = json_dumps(json_object_get(j, "health"), JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"expect\": 200, \"fall\": 3, "
                           "\"interval\": 2, \"path\": \"/\", \"port\": 0, "
                           "\"rise\": 2, \"timeout\": 1, \"type\": \"http\"}");
    free(text);
    text = json_dumps(json_object_get(j, "timeouts"), JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"icmp\": 60, \"tcp\": 86400, "
                           "\"udp\": 60}");
    free(text);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "source")),
                           "192.0.2.3");
    text = json_dumps(json_object_get(j, "status"), JSON_SORT_KEYS);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"napt_exhausted\": 0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"sessions\": 0"));
    free(text);

    /* What GET shows, PUT takes back unchanged. */
    char *before = dump(model);
    json_object_del(j, "id");
    json_object_del(j, "family");
    json_object_del(j, "generation");
    json_object_del(j, "status");
    json_object_del(j, "openflow");
    json_object_del(j, "members");
    struct lb_error error = { .status = 0 };
    CU_ASSERT_EQUAL(lb_service_put(model, napt, j, &error), 0);
    json_decref(j);
    char *after = dump(model);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);

    /* Every algorithm by its name. */
    for (int i = 0; i < LB_N_ALGOS; i++) {
        char *body = xasprintf("{\"algorithm\": \"%s\"}", lb_algo_name(i));
        char field[64];
        CU_ASSERT_EQUAL(try_patch(model, dsr, body, field), 0);
        CU_ASSERT_EQUAL(dsr->algorithm, i);
        free(body);
    }

    /* Fractions of seconds, costs. */
    char field[64];
    CU_ASSERT_EQUAL(try_patch(model, nat, "{\"health\": {\"type\": \"icmp\", "
                              "\"interval\": 0.5, \"fall\": 1}, "
                              "\"members\": [{\"address\": \"192.0.2.21\", "
                              "\"cost\": 0.25}, {\"address\": "
                              "\"192.0.2.22\", \"cost\": \"infinity\", "
                              "\"port\": 8080}]}", field), 0);
    CU_ASSERT_EQUAL(nat->monitor.interval_ms, 500);
    CU_ASSERT_EQUAL(nat->monitor.timeout_ms, 500);  /* Not over interval. */
    CU_ASSERT_EQUAL(member(nat, 1)->cost, 0.25);
    CU_ASSERT_TRUE(isinf(member(nat, 2)->cost));
    CU_ASSERT_EQUAL(member(nat, 2)->port, 8080);
    j = lb_member_to_json(member(nat, 2));
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "cost")),
                           "infinity");
    json_decref(j);
    /* Whole costs are integers, others (huge ones too) reals. */
    CU_ASSERT_EQUAL(try_member(model, nat, "PATCH", member(nat, 2),
                               "{\"cost\": 1e20}", field), 0);
    j = lb_member_to_json(member(nat, 2));
    CU_ASSERT_TRUE(json_is_real(json_object_get(j, "cost")));
    CU_ASSERT_EQUAL(json_real_value(json_object_get(j, "cost")), 1e20);
    json_decref(j);
    j = lb_member_to_json(member(nat, 1));
    CU_ASSERT_TRUE(json_is_real(json_object_get(j, "cost")));
    json_decref(j);
    CU_ASSERT_EQUAL(try_member(model, nat, "PATCH", member(nat, 1),
                               "{\"cost\": 4.0}", field), 0);
    j = lb_member_to_json(member(nat, 1));
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(j, "cost")), 4);
    json_decref(j);
    j = lb_service_to_json(nat);
    text = json_dumps(json_object_get(j, "health"), JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"fall\": 1, \"interval\": 0.5, "
                           "\"rise\": 2, \"timeout\": 0.5, "
                           "\"type\": \"icmp\"}");
    free(text);
    json_decref(j);
    lb_model_destroy(model);
}

/* Every new field's bad values name the field, against a model with a NAPT
 * service "napt" (192.0.2.100, source 192.0.2.200, tcp 80, member
 * 192.0.2.50) and a NAT one "nat" (192.0.2.101, udp, member 192.0.2.51
 * port 5353). */
static void
test_new_invalid(void)
{
    static const struct {
        const char *body;
        int status;
        const char *field;
    } cases[] = {
#define S(REST) "{\"name\": \"x\", \"vip\": \"192.0.2.1\"" REST "}"
#define NAT(REST) S(", \"forwarding\": \"nat\"" REST)
#define NAPT(REST) S(", \"forwarding\": \"napt\", \"source\": \"192.0.2.9\"" \
                     REST)
#define M(MEMBERS) S(", \"members\": [" MEMBERS "]")
#define NM(MEMBERS) NAT(", \"members\": [" MEMBERS "]")
        /* forwarding and its fields. */
        { S(", \"forwarding\": \"NAT\""), 422, "forwarding" },
        { S(", \"forwarding\": \"napt\""), 422, "source" },
        { NAT(", \"source\": \"192.0.2.9\""), 422, "source" },
        { S(", \"source\": \"192.0.2.9\""), 422, "source" },
        { S(", \"forwarding\": \"napt\", \"source\": \"2001:db8::9\""), 422,
          "source" },
        { S(", \"forwarding\": \"napt\", \"source\": \"192.0.2.1\""), 422,
          "source" },
        { S(", \"forwarding\": \"napt\", \"source\": \"224.0.0.1\""), 422,
          "source" },
        { S(", \"forwarding\": \"napt\", \"source\": 1"), 422, "source" },
        { NAT(", \"source_ports\": [1, 2]"), 422, "source_ports" },
        { NAPT(", \"source_ports\": [1]"), 422, "source_ports" },
        { NAPT(", \"source_ports\": \"1-2\""), 422, "source_ports" },
        { NAPT(", \"source_ports\": [0, 2]"), 422, "source_ports[0]" },
        { NAPT(", \"source_ports\": [1, 65536]"), 422, "source_ports[1]" },
        { NAPT(", \"source_ports\": [3, 2]"), 422, "source_ports" },
        { S(", \"timeouts\": {}"), 422, "timeouts" },
        { NAT(", \"timeouts\": 5"), 422, "timeouts" },
        { NAT(", \"timeouts\": {\"sctp\": 5}"), 422, "timeouts.sctp" },
        { NAT(", \"timeouts\": {\"tcp\": 0}"), 422, "timeouts.tcp" },
        { NAT(", \"timeouts\": {\"udp\": 604801}"), 422, "timeouts.udp" },
        { NAT(", \"timeouts\": {\"icmp\": 1.5}"), 422, "timeouts.icmp" },
        /* Algorithms. */
        { S(", \"algorithm\": \"random\""), 422, "algorithm" },
        { S(", \"algorithm\": 1"), 422, "algorithm" },
        { S(", \"decision\": \"exact\""), 422, "decision" },
        { S(", \"decision\": \"per-session\""), 422, "decision" },
        { NAT(", \"per_session_rate\": 0"), 422, "per_session_rate" },
        { NAT(", \"per_session_rate\": 100001"), 422, "per_session_rate" },
        { S(", \"traffic_metric\": \"bits\""), 422, "traffic_metric" },
        { S(", \"traffic_window\": 0"), 422, "traffic_window" },
        { S(", \"traffic_window\": 3601"), 422, "traffic_window" },
        { S(", \"session_weight\": 0"), 422, "session_weight" },
        { S(", \"session_weight\": 257"), 422, "session_weight" },
        /* Health. */
        { S(", \"health\": \"icmp\""), 422, "health" },
        { S(", \"health\": {}"), 422, "health.type" },
        { S(", \"health\": {\"type\": \"none\"}"), 422, "health.type" },
        { S(", \"health\": {\"type\": \"icmp\", \"bogus\": 1}"), 422,
          "health.bogus" },
        { S(", \"health\": {\"type\": \"icmp\", \"interval\": 0.05}"), 422,
          "health.interval" },
        { S(", \"health\": {\"type\": \"icmp\", \"interval\": \"2\"}"), 422,
          "health.interval" },
        { S(", \"health\": {\"type\": \"icmp\", \"interval\": 3601}"), 422,
          "health.interval" },
        { S(", \"health\": {\"type\": \"icmp\", \"timeout\": 0}"), 422,
          "health.timeout" },
        { S(", \"health\": {\"type\": \"icmp\", \"interval\": 1, "
            "\"timeout\": 1.5}"), 422, "health.timeout" },
        { S(", \"health\": {\"type\": \"icmp\", \"rise\": 0}"), 422,
          "health.rise" },
        { S(", \"health\": {\"type\": \"icmp\", \"fall\": 101}"), 422,
          "health.fall" },
        { S(", \"health\": {\"type\": \"icmp\", \"port\": 80}"), 422,
          "health.port" },
        { S(", \"health\": {\"type\": \"http\", \"port\": 65536}"), 422,
          "health.port" },
        { S(", \"health\": {\"type\": \"tcp\", \"path\": \"/\", "
            "\"port\": 80}"), 422, "health.path" },
        { S(", \"health\": {\"type\": \"http\", \"path\": \"x\"}"), 422,
          "health.path" },
        { S(", \"health\": {\"type\": \"http\", \"path\": \"/a b\"}"), 422,
          "health.path" },
        { S(", \"health\": {\"type\": \"tcp\", \"expect\": 200, "
            "\"port\": 80}"), 422, "health.expect" },
        { S(", \"health\": {\"type\": \"http\", \"expect\": 99}"), 422,
          "health.expect" },
        { S(", \"health\": {\"type\": \"http\", \"expect\": 600}"), 422,
          "health.expect" },
        /* A tcp monitor needs a port from somewhere. */
        { S(", \"health\": {\"type\": \"tcp\"}, \"members\": "
            "[{\"address\": \"192.0.2.2\"}]"), 422, "health.port" },
        { NAT(", \"health\": {\"type\": \"tcp\"}, \"members\": "
              "[{\"address\": \"192.0.2.2\", \"port\": 22}, "
              "{\"address\": \"192.0.2.3\"}]"), 422, "health.port" },
        { S(", \"passive_timeout\": 5"), 422, "passive_timeout" },
        { NAT(", \"passive_timeout\": 3601"), 422, "passive_timeout" },
        /* Members. */
        { M("{\"address\": \"192.0.2.2\", \"port\": 80}"), 422,
          "members[0].port" },
        { NM("{\"address\": \"192.0.2.2\", \"port\": 65536}"), 422,
          "members[0].port" },
        { NM("{\"address\": \"192.0.2.2\", \"port\": -1}"), 422,
          "members[0].port" },
        { M("{\"address\": \"192.0.2.2\", \"cost\": 0}"), 422,
          "members[0].cost" },
        { M("{\"address\": \"192.0.2.2\", \"cost\": -1}"), 422,
          "members[0].cost" },
        { M("{\"address\": \"192.0.2.2\", \"cost\": \"inf\"}"), 422,
          "members[0].cost" },
        { M("{\"address\": \"192.0.2.2\", \"backup\": \"192.0.2.3\"}"), 422,
          "members[0].backup" },
        { M("{\"address\": \"192.0.2.2\", \"backup\": 65536}"), 422,
          "members[0].backup" },
        { M("{\"address\": \"192.0.2.2\", \"backup\": 1}"), 422,
          "members[0].backup" },
        { M("{\"address\": \"192.0.2.2\"}, {\"address\": \"192.0.2.3\", "
            "\"backup\": 3}"), 422, "members[1].backup" },
        /* Conflicts. */
        { NAPT(", \"name\": \"napt\""), 409, "name" },
        { S(", \"forwarding\": \"napt\", \"source\": \"192.0.2.200\""), 409,
          "source" },
        { S(", \"forwarding\": \"napt\", \"source\": \"192.0.2.101\""), 409,
          "source" },
        { "{\"name\": \"x\", \"vip\": \"192.0.2.200\"}", 409, "vip" },
        { NM("{\"address\": \"192.0.2.9\"}, {\"address\": \"192.0.2.50\"}"),
          409, "members[1].address" },
        { S(", \"forwarding\": \"nat\", \"protocol\": \"udp\", \"members\": "
            "[{\"address\": \"192.0.2.51\", \"port\": 5353}]"), 409,
          "members[0].address" },
        { S(", \"forwarding\": \"nat\", \"protocol\": \"udp\", "
            "\"ports\": [5353], \"members\": [{\"address\": \"192.0.2.51\"}]"),
          409, "members[0].address" },
#undef NM
#undef M
#undef NAPT
#undef NAT
#undef S
    };
    struct lb_model *model = lb_model_create();
    create(model, "{\"name\": \"napt\", \"vip\": \"192.0.2.100\", "
           "\"forwarding\": \"napt\", \"source\": \"192.0.2.200\", "
           "\"ports\": [80], \"members\": [{\"address\": \"192.0.2.50\"}]}");
    create(model, "{\"name\": \"nat\", \"vip\": \"192.0.2.101\", "
           "\"forwarding\": \"nat\", \"protocol\": \"udp\", \"members\": "
           "[{\"address\": \"192.0.2.51\", \"port\": 5353}]}");
    char *before = dump(model);
    uint64_t generation = model->generation;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char field[64];
        int status = try_create(model, cases[i].body, field, NULL);
        if (status != cases[i].status || strcmp(field, cases[i].field)) {
            fprintf(stderr, "case %"PRIuSIZE" %s: got %d %s, expected %d %s\n",
                    i, cases[i].body, status, field, cases[i].status,
                    cases[i].field);
        }
        CU_ASSERT_EQUAL(status, cases[i].status);
        CU_ASSERT_STRING_EQUAL(field, cases[i].field);
    }

    char *after = dump(model);
    CU_ASSERT_STRING_EQUAL(before, after);
    CU_ASSERT_EQUAL(model->generation, generation);
    free(before);
    free(after);

    /* What does not clash: other ports, other protocol, DSR. */
    char field[64];
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"a\", \"vip\": "
                               "\"192.0.2.1\", \"forwarding\": \"nat\", "
                               "\"protocol\": \"udp\", \"members\": [{"
                               "\"address\": \"192.0.2.51\", \"port\": 53}]}",
                               field, NULL), 0);
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"b\", \"vip\": "
                               "\"192.0.2.2\", \"forwarding\": \"nat\", "
                               "\"ports\": [81], \"members\": [{"
                               "\"address\": \"192.0.2.50\"}]}",
                               field, NULL), 0);
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"c\", \"vip\": "
                               "\"192.0.2.3\", \"members\": [{"
                               "\"address\": \"192.0.2.50\"}]}",
                               field, NULL), 0);

    /* The messages name what is allowed. */
    char *message;
    try_create(model, "{\"name\": \"x\", \"vip\": \"192.0.2.1\", "
               "\"algorithm\": \"random\"}", field, &message);
    CU_ASSERT_STRING_EQUAL(message, "algorithm: must be one of round-robin, "
                           "weighted-round-robin, least-sessions, "
                           "least-traffic, weighted-least-load, "
                           "fastest-response, cost-least-load, "
                           "cost-least-traffic");
    free(message);
    try_create(model, "{\"name\": \"x\", \"vip\": \"192.0.2.1\", "
               "\"members\": [{\"address\": \"192.0.2.2\", \"cost\": 0}]}",
               field, &message);
    CU_ASSERT_STRING_EQUAL(message, "members[0].cost: must be a number "
                           "greater than 0, or \"infinity\"");
    free(message);
    lb_model_destroy(model);
}

/* PUT and PATCH of the new fields; a change of forwarding re-defaults what
 * the new forwarding does not take. */
static void
test_nat_patch(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = create(model, "{\"name\": \"web\", "
        "\"vip\": \"192.0.2.1\", \"ports\": [80], \"members\": "
        "[{\"address\": \"192.0.2.21\"}, {\"address\": \"192.0.2.22\"}]}");
    char field[64];

    /* To NAPT: the source is required, the rest takes defaults. */
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"forwarding\": \"napt\"}",
                              field), 422);
    CU_ASSERT_STRING_EQUAL(field, "source");
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"forwarding\": \"napt\", "
                              "\"source\": \"192.0.2.9\", "
                              "\"decision\": \"per-session\", "
                              "\"passive_timeout\": 10, "
                              "\"source_ports\": [5000, 6000], "
                              "\"timeouts\": {\"udp\": 5}}", field), 0);
    CU_ASSERT_EQUAL(svc->forwarding, LB_FWD_NAPT);
    CU_ASSERT_EQUAL(svc->source_port_min, 5000);
    CU_ASSERT_EQUAL(svc->timeout_udp, 5);
    CU_ASSERT_EQUAL(svc->timeout_tcp, 86400);
    uint16_t zone = svc->ct_zone;

    /* A PATCH of another field keeps them all. */
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"algorithm\": "
                              "\"least-sessions\"}", field), 0);
    CU_ASSERT_EQUAL(svc->source_port_min, 5000);
    CU_ASSERT_EQUAL(svc->timeout_udp, 5);
    CU_ASSERT_EQUAL(svc->decision, LB_DECISION_PER_SESSION);
    CU_ASSERT_EQUAL(svc->algorithm, LB_ALGO_LEAST_SESSIONS);

    /* Member ports. */
    struct lb_member *m1 = member(svc, 1);
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m1, "{\"port\": 8080}",
                               field), 0);
    CU_ASSERT_EQUAL(m1->port, 8080);

    /* To NAT: the source goes, the timeouts and decision stay. */
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"forwarding\": \"nat\"}",
                              field), 0);
    CU_ASSERT_EQUAL(svc->forwarding, LB_FWD_NAT);
    CU_ASSERT_TRUE(ipv6_addr_is_set(&svc->source) == false);
    CU_ASSERT_EQUAL(svc->source_port_min, 1024);
    CU_ASSERT_EQUAL(svc->timeout_udp, 5);
    CU_ASSERT_EQUAL(svc->decision, LB_DECISION_PER_SESSION);
    CU_ASSERT_EQUAL(m1->port, 8080);
    CU_ASSERT_EQUAL(svc->ct_zone, zone);

    /* Giving a field the new forwarding refuses is still refused. */
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"forwarding\": \"dsr\", "
                              "\"timeouts\": {\"tcp\": 5}}", field), 422);
    CU_ASSERT_STRING_EQUAL(field, "timeouts");
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"forwarding\": \"dsr\", "
                              "\"members\": [{\"address\": \"192.0.2.21\", "
                              "\"port\": 8080}]}", field), 422);
    CU_ASSERT_STRING_EQUAL(field, "members[0].port");
    /* PUT keeps the members, whose ports dsr cannot take. */
    CU_ASSERT_EQUAL(try_put(model, svc, "{\"name\": \"web\", "
                            "\"vip\": \"192.0.2.1\"}", field), 422);
    CU_ASSERT_STRING_EQUAL(field, "forwarding");
    CU_ASSERT_EQUAL(svc->forwarding, LB_FWD_NAT);

    /* To DSR: timeouts, decision, passive detection and member ports
     * take their defaults; members keep their ids and live state. */
    m1->n_packets = 7;
    m1->resolved = true;
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"forwarding\": \"dsr\"}",
                              field), 0);
    CU_ASSERT_EQUAL(svc->forwarding, LB_FWD_DSR);
    CU_ASSERT_EQUAL(svc->decision, LB_DECISION_DATAPATH_FAST);
    CU_ASSERT_EQUAL(svc->passive_timeout, 0);
    CU_ASSERT_EQUAL(svc->timeout_udp, 60);
    CU_ASSERT_EQUAL(svc->algorithm, LB_ALGO_LEAST_SESSIONS);
    CU_ASSERT_PTR_EQUAL(lb_member_find(svc, 1), m1);
    CU_ASSERT_EQUAL(m1->port, 0);
    CU_ASSERT_EQUAL(m1->n_packets, 7);
    CU_ASSERT_EQUAL(svc->ct_zone, zone);
    CU_ASSERT_EQUAL(ovs_list_size(&svc->members), 2);

    /* PUT resets the new fields to their defaults. */
    CU_ASSERT_EQUAL(try_put(model, svc, "{\"name\": \"web\", "
                            "\"vip\": \"192.0.2.1\"}", field), 0);
    CU_ASSERT_EQUAL(svc->algorithm, LB_ALGO_WEIGHTED_ROUND_ROBIN);
    CU_ASSERT_EQUAL(svc->ct_zone, zone);

    /* Member PUT and PATCH of port, backup and cost; PUT resets them. */
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m1, "{\"port\": 1}",
                               field), 422);
    CU_ASSERT_STRING_EQUAL(field, "port");
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m1, "{\"backup\": 2, "
                               "\"cost\": 3}", field), 0);
    CU_ASSERT_EQUAL(m1->backup, 2);
    CU_ASSERT_EQUAL(m1->cost, 3);
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m1, "{\"weight\": 2}",
                               field), 0);
    CU_ASSERT_EQUAL(m1->backup, 2);
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m1, "{\"backup\": null}",
                               field), 0);
    CU_ASSERT_EQUAL(m1->backup, 0);
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m1, "{\"backup\": 2}",
                               field), 0);
    CU_ASSERT_EQUAL(try_member(model, svc, "PUT", m1, "{\"address\": "
                               "\"192.0.2.21\"}", field), 0);
    CU_ASSERT_EQUAL(m1->backup, 0);
    CU_ASSERT_EQUAL(m1->cost, 1);
    lb_model_destroy(model);
}

/* Conntrack zones: the smallest free one, at create, kept, freed by a
 * delete, 507 for a NAT service when none is left. */
static void
test_ct_zones(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *a = create(model, "{\"name\": \"a\", "
                                  "\"vip\": \"192.0.2.1\"}");
    struct lb_service *b = create(model, "{\"name\": \"b\", "
                                  "\"vip\": \"192.0.2.2\", "
                                  "\"forwarding\": \"nat\"}");
    struct lb_service *c = create(model, "{\"name\": \"c\", "
                                  "\"vip\": \"192.0.2.3\"}");
    CU_ASSERT_EQUAL(a->ct_zone, 1);
    CU_ASSERT_EQUAL(b->ct_zone, 2);
    CU_ASSERT_EQUAL(c->ct_zone, 3);

    /* Kept across PUT and PATCH. */
    char field[64];
    CU_ASSERT_EQUAL(try_patch(model, b, "{\"forwarding\": \"dsr\"}", field),
                    0);
    CU_ASSERT_EQUAL(try_put(model, b, "{\"name\": \"b\", "
                            "\"vip\": \"192.0.2.2\", \"forwarding\": "
                            "\"nat\"}", field), 0);
    CU_ASSERT_EQUAL(b->ct_zone, 2);

    /* A delete frees the zone for the next service. */
    lb_service_delete(model, b);
    struct lb_service *d = create(model, "{\"name\": \"d\", "
                                  "\"vip\": \"192.0.2.4\"}");
    CU_ASSERT_EQUAL(d->ct_zone, 2);
    struct lb_service *e = create(model, "{\"name\": \"e\", "
                                  "\"vip\": \"192.0.2.5\"}");
    CU_ASSERT_EQUAL(e->ct_zone, 4);

    /* An undone create gives its zone back. */
    struct lb_snapshot *snap = lb_snapshot_take(model,
                                                model->next_service_id);
    create(model, "{\"name\": \"f\", \"vip\": \"192.0.2.6\"}");
    lb_snapshot_restore(model, snap);
    CU_ASSERT_EQUAL(create(model, "{\"name\": \"f\", "
                           "\"vip\": \"192.0.2.6\"}")->ct_zone, 5);

    /* Fill every zone with services made by hand (creating 32767 through
     * the API would take long). */
    for (uint32_t zone = 1; zone <= LB_CT_ZONE_MAX; zone++) {
        bool used = false;
        struct lb_service *svc;
        HMAP_FOR_EACH (svc, node, &model->services) {
            used = used || svc->ct_zone == zone;
        }
        if (used) {
            continue;
        }
        svc = xzalloc(sizeof *svc);
        svc->id = model->next_service_id++;
        svc->name = xasprintf("filler%"PRIu32, zone);
        svc->vip = unit_ip6("2001:db8::1");
        svc->vip.s6_addr[12] = zone >> 8;
        svc->vip.s6_addr[13] = zone;
        svc->ct_zone = zone;
        svc->monitor.type = LB_MONITOR_NONE;
        ovs_list_init(&svc->members);
        hmap_insert(&model->services, &svc->node, hash_int(svc->id, 0));
    }
    char *before = dump(model);
    CU_ASSERT_EQUAL(try_create(model, "{\"name\": \"x\", \"vip\": "
                               "\"192.0.2.9\", \"forwarding\": \"napt\", "
                               "\"source\": \"192.0.2.10\"}", field, NULL),
                    507);
    CU_ASSERT_STRING_EQUAL(field, "forwarding");
    char *after = dump(model);
    CU_ASSERT_STRING_EQUAL(before, after);
    free(before);
    free(after);

    /* A DSR service needs none: it goes without, until it becomes NAT. */
    struct lb_service *g = create(model, "{\"name\": \"g\", "
                                  "\"vip\": \"192.0.2.9\"}");
    CU_ASSERT_EQUAL(g->ct_zone, 0);
    CU_ASSERT_EQUAL(try_patch(model, g, "{\"forwarding\": \"nat\"}", field),
                    507);
    lb_service_delete(model, lb_service_find_by_name(model, "filler1000"));
    CU_ASSERT_EQUAL(try_patch(model, g, "{\"forwarding\": \"nat\"}", field),
                    0);
    CU_ASSERT_EQUAL(g->ct_zone, 1000);
    lb_model_destroy(model);
}

/* Backups: ids of the same service, checked in service bodies against the
 * ids the members will have, cleared when their member goes;
 * lb_member_effective(). */
static void
test_backup(void)
{
    struct lb_model *model = lb_model_create();
    /* New members are numbered in list order: 1, 2, 3. */
    struct lb_service *svc = create(model, "{\"name\": \"web\", "
        "\"vip\": \"192.0.2.1\", \"members\": ["
        "{\"address\": \"192.0.2.21\", \"backup\": 3, "
        "\"mac\": \"02:00:00:00:00:21\"}, "
        "{\"address\": \"192.0.2.22\", \"backup\": 3, "
        "\"mac\": \"02:00:00:00:00:22\"}, "
        "{\"address\": \"192.0.2.23\", \"backup\": 1}]}");
    struct lb_member *m1 = member(svc, 1);
    struct lb_member *m2 = member(svc, 2);
    struct lb_member *m3 = member(svc, 3);
    CU_ASSERT_EQUAL(m1->backup, 3);
    CU_ASSERT_EQUAL(m3->backup, 1);
    char field[64];

    /* A list that drops a backup is refused, naming the reference. */
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"members\": ["
                              "{\"address\": \"192.0.2.21\", \"backup\": 3}, "
                              "{\"address\": \"192.0.2.22\"}]}", field), 422);
    CU_ASSERT_STRING_EQUAL(field, "members[0].backup");
    /* A kept address keeps its id; a new one takes the next (4). */
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"members\": ["
                              "{\"address\": \"192.0.2.24\", \"backup\": 4}, "
                              "{\"address\": \"192.0.2.21\"}]}", field), 422);
    CU_ASSERT_STRING_EQUAL(field, "members[0].backup");
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"members\": ["
                              "{\"address\": \"192.0.2.24\", \"backup\": 1}, "
                              "{\"address\": \"192.0.2.21\", \"backup\": 4, "
                              "\"mac\": \"02:00:00:00:00:21\"}, "
                              "{\"address\": \"192.0.2.22\", \"backup\": 4, "
                              "\"mac\": \"02:00:00:00:00:22\"}, "
                              "{\"address\": \"192.0.2.23\"}]}", field), 0);
    struct lb_member *m4 = member(svc, 4);
    CU_ASSERT_PTR_EQUAL(lb_member_find(svc, 1), m1);
    CU_ASSERT_EQUAL(m1->backup, 4);
    CU_ASSERT_EQUAL(m4->backup, 1);

    /* Member requests. */
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m1, "{\"backup\": 1}",
                               field), 422);
    CU_ASSERT_STRING_EQUAL(field, "backup");
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m1, "{\"backup\": 9}",
                               field), 422);
    CU_ASSERT_STRING_EQUAL(field, "backup");
    CU_ASSERT_EQUAL(try_member(model, svc, "POST", NULL, "{\"address\": "
                               "\"192.0.2.25\", \"backup\": 5}", field), 422);
    CU_ASSERT_STRING_EQUAL(field, "backup");
    CU_ASSERT_EQUAL(try_member(model, svc, "POST", NULL, "{\"address\": "
                               "\"192.0.2.25\", \"backup\": 2}", field), 0);

    /* lb_member_effective(): m1 itself while it can; its backup m4 when it
     * cannot and m4 can (a MAC); nobody when neither can. */
    CU_ASSERT_PTR_EQUAL(lb_member_effective(svc, m1), m1);
    m1->state = LB_MEMBER_DRAIN;
    CU_ASSERT_PTR_NULL(lb_member_effective(svc, m1));   /* m4: no MAC. */
    m4->resolved = true;
    m4->resolved_mac = (struct eth_addr) ETH_ADDR_C(02, 00, 00, 00, 00, 24);
    CU_ASSERT_PTR_EQUAL(lb_member_effective(svc, m1), m4);
    m1->state = LB_MEMBER_ENABLED;
    lb_member_set_health(model, svc, m1, LB_HEALTH_DOWN, "test", 1000);
    CU_ASSERT_PTR_EQUAL(lb_member_effective(svc, m1), m4);
    lb_member_set_health(model, svc, m4, LB_HEALTH_DOWN, "test", 1000);
    CU_ASSERT_PTR_NULL(lb_member_effective(svc, m1));
    /* A backup's own backup is not followed: m4's is m1, which is down;
     * m2's is m4, down too, and m4's backup m1 would not count. */
    CU_ASSERT_PTR_NULL(lb_member_effective(svc, m4));
    CU_ASSERT_PTR_EQUAL(lb_member_effective(svc, m2), m2);
    m2->state = LB_MEMBER_DISABLED;
    lb_member_set_health(model, svc, m1, LB_HEALTH_UP, NULL, 2000);
    CU_ASSERT_PTR_NULL(lb_member_effective(svc, m2));
    /* No backup. */
    CU_ASSERT_EQUAL(m3->backup, 0);
    CU_ASSERT_PTR_NULL(lb_member_effective(svc, m3));   /* No MAC. */

    /* Deleting a member clears the references to it. */
    lb_member_delete(model, svc, m4);
    CU_ASSERT_EQUAL(m1->backup, 0);
    CU_ASSERT_EQUAL(m2->backup, 0);
    CU_ASSERT_PTR_NULL(lb_member_effective(svc, m2));
    lb_model_destroy(model);
}

/* Health: the history ring, reasons, generations, what counts as alive,
 * the JSON, and the resets. */
static void
test_health(void)
{
    struct lb_model *model = lb_model_create();
    struct lb_service *svc = create(model, "{\"name\": \"web\", "
        "\"vip\": \"192.0.2.1\", \"forwarding\": \"nat\", \"members\": "
        "[{\"address\": \"192.0.2.21\", \"mac\": \"02:00:00:00:00:21\", "
        "\"port\": 8080}]}");
    struct lb_member *m = member(svc, 1);
    uint64_t generation = model->generation;

    CU_ASSERT_TRUE(lb_member_alive(m));
    CU_ASSERT_TRUE(lb_member_takes_sessions(m));

    /* The same health again changes nothing. */
    lb_member_set_health(model, svc, m, LB_HEALTH_UNKNOWN, "x", 5);
    CU_ASSERT_EQUAL(m->n_history, 0);
    CU_ASSERT_EQUAL(model->generation, generation);

    lb_member_set_health(model, svc, m, LB_HEALTH_DOWN,
                         "tcp connect: Connection refused", 1000);
    CU_ASSERT_EQUAL(model->generation, generation + 1);
    CU_ASSERT_EQUAL(svc->generation, model->generation);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_DOWN);
    CU_ASSERT_EQUAL(m->health_since_ms, 1000);
    CU_ASSERT_STRING_EQUAL(m->health_reason,
                           "tcp connect: Connection refused");
    CU_ASSERT_FALSE(lb_member_alive(m));
    CU_ASSERT_FALSE(lb_member_takes_sessions(m));
    lb_member_set_health(model, svc, m, LB_HEALTH_DOWN, "again", 1500);
    CU_ASSERT_EQUAL(m->n_history, 1);
    CU_ASSERT_EQUAL(m->health_since_ms, 1000);

    /* Twenty changes: the ring keeps the last LB_HEALTH_HISTORY, oldest
     * first in the JSON; every replaced reason is freed (valgrind). */
    for (int i = 0; i < 20; i++) {
        char *reason = xasprintf("change %d", i);
        lb_member_set_health(model, svc, m,
                             i % 2 ? LB_HEALTH_DOWN : LB_HEALTH_UP,
                             i == 19 ? NULL : reason,
                             1763961071000LL + i * 1001);
        free(reason);
    }
    CU_ASSERT_EQUAL(m->n_history, 21);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_DOWN);
    CU_ASSERT_PTR_NULL(m->health_reason);
    CU_ASSERT_TRUE(lb_member_alive(m) == false);

    json_t *j = lb_member_to_json(m);
    json_t *status = json_object_get(j, "status");
    json_t *history = json_object_get(status, "health_history");
    CU_ASSERT_EQUAL_FATAL(json_array_size(history), LB_HEALTH_HISTORY);
    /* The oldest kept is change 12 (21 events, the first was the DOWN of
     * before). */
    char *text = json_dumps(json_array_get(history, 0), JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"health\": \"up\", \"reason\": "
                           "\"change 12\", \"time\": "
                           "\"2025-11-24T05:11:23.012Z\"}");
    free(text);
    text = json_dumps(json_array_get(history, LB_HEALTH_HISTORY - 1),
                      JSON_SORT_KEYS);
    CU_ASSERT_STRING_EQUAL(text, "{\"health\": \"down\", \"reason\": null, "
                           "\"time\": \"2025-11-24T05:11:30.019Z\"}");
    free(text);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(status,
                                                             "health")),
                           "down");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
                                                 status, "health_since")),
                           "2025-11-24T05:11:30.019Z");
    CU_ASSERT_TRUE(json_is_null(json_object_get(status, "health_reason")));
    CU_ASSERT_TRUE(json_is_false(json_object_get(status, "takes_sessions")));
    json_decref(j);

    /* A down member does not count as active. */
    j = lb_service_to_json(svc);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(
                        json_object_get(j, "status"), "members_active")), 0);
    json_decref(j);

    /* Health is live: member PUT and PATCH keep it, like a snapshot and
     * a member list that keeps the address. */
    char field[64];
    m->rtt_ms = 2.5;
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m, "{\"weight\": 3}",
                               field), 0);
    CU_ASSERT_EQUAL(try_member(model, svc, "PUT", m, "{\"address\": "
                               "\"192.0.2.21\", \"port\": 8080}", field), 0);
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"members\": [{\"address\": "
                              "\"192.0.2.21\", \"port\": 8080, "
                              "\"mac\": \"02:00:00:00:00:21\"}]}", field),
                    0);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_DOWN);
    CU_ASSERT_EQUAL(m->n_history, 21);
    CU_ASSERT_EQUAL(m->rtt_ms, 2.5);
    struct lb_snapshot *snap = lb_snapshot_take(model, svc->id);
    lb_member_set_health(model, svc, m, LB_HEALTH_UP, "back", 1);
    lb_snapshot_restore(model, snap);
    svc = lb_service_find(model, 1);
    m = member(svc, 1);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_DOWN);
    CU_ASSERT_EQUAL(m->n_history, 21);

    /* A PATCH that leaves the health config alone keeps it too... */
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"health\": null, "
                              "\"passive_timeout\": 0}", field), 0);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_DOWN);

    /* ...a change of monitor resets it, recorded. */
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"health\": {\"type\": "
                              "\"tcp\"}}", field), 0);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_UNKNOWN);
    CU_ASSERT_STRING_EQUAL(m->health_reason, "monitor changed");
    CU_ASSERT_EQUAL(m->rtt_ms, -1);
    CU_ASSERT_EQUAL(m->n_history, 22);
    CU_ASSERT_TRUE(lb_member_takes_sessions(m));

    lb_member_set_health(model, svc, m, LB_HEALTH_DOWN, "timeout", 1);
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"health\": {\"type\": \"tcp\", "
                              "\"rise\": 3}}", field), 0);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_UNKNOWN);
    /* ...and so does a change of passive detection. */
    lb_member_set_health(model, svc, m, LB_HEALTH_DOWN, "no replies", 1);
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"passive_timeout\": 30}",
                              field), 0);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_UNKNOWN);

    /* A new address is another host: its health is unknown. */
    lb_member_set_health(model, svc, m, LB_HEALTH_DOWN, "x", 1);
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m, "{\"address\": "
                               "\"192.0.2.22\"}", field), 0);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_UNKNOWN);
    CU_ASSERT_STRING_EQUAL(m->health_reason, "address changed");

    /* A tcp monitor with no port of its own needs the members' ports. */
    CU_ASSERT_EQUAL(try_member(model, svc, "PATCH", m, "{\"port\": 0}",
                               field), 422);
    CU_ASSERT_STRING_EQUAL(field, "port");
    CU_ASSERT_EQUAL(try_member(model, svc, "POST", NULL, "{\"address\": "
                               "\"192.0.2.30\"}", field), 422);
    CU_ASSERT_STRING_EQUAL(field, "port");
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"members\": [{\"address\": "
                              "\"192.0.2.30\"}]}", field), 422);
    CU_ASSERT_STRING_EQUAL(field, "health.port");
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"forwarding\": \"dsr\"}",
                              field), 422);
    CU_ASSERT_STRING_EQUAL(field, "health.port");
    CU_ASSERT_EQUAL(try_patch(model, svc, "{\"forwarding\": \"dsr\", "
                              "\"ports\": [80]}", field), 0);
    CU_ASSERT_EQUAL(try_member(model, svc, "POST", NULL, "{\"address\": "
                               "\"192.0.2.30\"}", field), 0);
    lb_model_destroy(model);
}

/* State files: one from before issue 6 loads with the defaults and gets
 * zones; zones are checked. */
static void
test_state_new(void)
{
    static const char old_json[] =
        "{\"version\": 1, \"vmac\": \"02:00:00:00:00:01\", "
        "\"next_service_id\": 4, \"services\": ["
        "{\"id\": 1, \"name\": \"a\", \"vip\": \"192.0.2.1\", "
        "\"protocol\": \"tcp\", \"ports\": [], \"key\": \"src\", "
        "\"forwarding\": \"dsr\", \"switches\": [], "
        "\"hash_basis\": \"0x0000000000000001\", \"next_member_id\": 2, "
        "\"members\": [{\"id\": 1, \"address\": \"192.0.2.21\", "
        "\"mac\": null, \"weight\": 1, \"state\": \"enabled\"}]}, "
        "{\"id\": 3, \"name\": \"b\", \"vip\": \"192.0.2.2\", "
        "\"protocol\": \"tcp\", \"ports\": [], \"key\": \"src\", "
        "\"forwarding\": \"dsr\", \"switches\": [], \"ct_zone\": 1, "
        "\"hash_basis\": \"0x0000000000000001\", \"next_member_id\": 1, "
        "\"members\": []}]}";
    struct lb_error error = { .status = 0 };
    struct lb_model *model;
    json_t *json = parse(old_json);
    int retval = lb_model_from_json(json, &model, &error);
    if (retval) {
        fprintf(stderr, "%s\n", error.message);
        lb_error_clear(&error);
    }
    CU_ASSERT_EQUAL_FATAL(retval, 0);

    struct lb_service *a = lb_service_find(model, 1);
    CU_ASSERT_EQUAL(a->ct_zone, 2);     /* b has 1. */
    CU_ASSERT_EQUAL(lb_service_find(model, 3)->ct_zone, 1);
    CU_ASSERT_EQUAL(a->algorithm, LB_ALGO_WEIGHTED_ROUND_ROBIN);
    CU_ASSERT_EQUAL(a->monitor.type, LB_MONITOR_NONE);
    CU_ASSERT_EQUAL(a->per_session_rate, 1000);
    struct lb_member *m = member(a, 1);
    CU_ASSERT_EQUAL(m->cost, 1);
    CU_ASSERT_EQUAL(m->rtt_ms, -1);
    CU_ASSERT_EQUAL(m->health, LB_HEALTH_UNKNOWN);

    /* Saved, the zones are there. */
    json_t *saved = lb_service_to_state_json(a);
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(saved, "ct_zone")),
                    2);
    json_decref(saved);
    lb_model_destroy(model);

    /* Two services with one zone. */
    json_object_set_new(json_array_get(json_object_get(json, "services"), 0),
                        "ct_zone", json_integer(1));
    model = (struct lb_model *) 1;
    CU_ASSERT_EQUAL(lb_model_from_json(json, &model, &error), 422);
    CU_ASSERT_PTR_NULL(model);
    CU_ASSERT_STRING_EQUAL(error.field, "services[1].ct_zone");
    lb_error_clear(&error);
    json_decref(json);

#define P(...) (const char *const[]) { __VA_ARGS__, NULL }
    check_bad_state(P("services", "0", "ct_zone"), "32768",
                    "services[0].ct_zone");
    check_bad_state(P("services", "2", "ct_zone"), "2",
                    "services[2].ct_zone");
    check_bad_state(P("services", "2", "source"), NULL,
                    "services[2].source");
    check_bad_state(P("services", "2", "source"), "\"192.0.2.1\"",
                    "services[2].source");
    check_bad_state(P("services", "0", "health"), "{\"type\": \"dns\"}",
                    "services[0].health.type");
    check_bad_state(P("services", "0", "members", "0", "backup"), "2",
                    "services[0].members[0].backup");
    check_bad_state(P("services", "0", "members", "0", "backup"), "3",
                    "services[0].members[0].backup");
    check_bad_state(P("services", "0", "members", "1", "port"), "80",
                    "services[0].members[1].port");
    check_bad_state(P("services", "2", "members", "0", "cost"), "0",
                    "services[2].members[0].cost");
    check_bad_state(P("services", "2", "timeouts"), "{\"tcp\": 0}",
                    "services[2].timeouts.tcp");
#undef P
}

static void
test_error(void)
{
    struct lb_error error = { .status = 0 };
    lb_error_set(&error, 422, "members[2].weight", "%s: must be %d",
                 "members[2].weight", 1);
    CU_ASSERT_EQUAL(error.status, 422);
    CU_ASSERT_STRING_EQUAL(error.field, "members[2].weight");
    CU_ASSERT_STRING_EQUAL(error.message, "members[2].weight: must be 1");
    lb_error_clear(&error);
    CU_ASSERT_PTR_NULL(error.field);
    CU_ASSERT_PTR_NULL(error.message);
    CU_ASSERT_EQUAL(error.status, 0);
}

void
unit_register_lb(void)
{
    static CU_TestInfo tests[] = {
        { "persistence and label_change", test_persistence },
        { "enum names", test_names },
        { "errors", test_error },
        { "create, lookup, ids", test_create },
        { "every field's bad values", test_invalid },
        { "messages name allowed values", test_messages },
        { "VIP, protocol and port overlap", test_overlap },
        { "PUT and PATCH", test_put_patch },
        { "a rejected change changes nothing", test_all_or_nothing },
        { "members", test_members },
        { "REST JSON", test_rest_json },
        { "state JSON round trip", test_state_round_trip },
        { "state JSON rejects", test_state_rejects },
        { "snapshots undo", test_snapshot },
        { "new enum names", test_new_names },
        { "NAT, algorithm and health defaults", test_nat_defaults },
        { "new fields' bad values and conflicts", test_new_invalid },
        { "NAT fields under PUT and PATCH", test_nat_patch },
        { "conntrack zones", test_ct_zones },
        { "backups and lb_member_effective", test_backup },
        { "health history and resets", test_health },
        { "state files and zones", test_state_new },
        CU_TEST_INFO_NULL,
    };
    UNIT_SUITE("lb", tests);
}
