/*
 * lb-rate: the rate of a cumulative counter over a sliding window.  See
 * lb-rate.h.
 */
#include <config.h>
#include "flowlb/lb-rate.h"

#include <string.h>

static const struct lb_rate_sample *
sample(const struct lb_rate *rate, size_t i)
{
    return &rate->samples[(rate->first + i) % LB_RATE_SAMPLES];
}

/* Starts 'rate' empty, measuring over the last 'window_ms' (at least 1). */
void
lb_rate_init(struct lb_rate *rate, long long int window_ms)
{
    memset(rate, 0, sizeof *rate);
    rate->window_ms = window_ms > 0 ? window_ms : 1;
}

/* Feeds 'rate' the value 'counter' of the counter at 'now_ms'. */
void
lb_rate_add(struct lb_rate *rate, long long int now_ms, uint64_t counter)
{
    if (rate->n) {
        const struct lb_rate_sample *last = sample(rate, rate->n - 1);
        if (now_ms < last->time_ms) {
            return;
        }
        rate->total += (counter >= rate->last_counter
                        ? counter - rate->last_counter
                        : counter);
    }
    rate->last_counter = counter;

    /* Drop samples that no longer bound the window: keep at most one at or
     * before its start. */
    long long int start = now_ms - rate->window_ms;
    while (rate->n >= 2 && sample(rate, 1)->time_ms <= start) {
        rate->first = (rate->first + 1) % LB_RATE_SAMPLES;
        rate->n--;
    }
    if (rate->n == LB_RATE_SAMPLES) {
        rate->first = (rate->first + 1) % LB_RATE_SAMPLES;
        rate->n--;
    }

    struct lb_rate_sample *s
        = &rate->samples[(rate->first + rate->n) % LB_RATE_SAMPLES];
    s->time_ms = now_ms;
    s->total = rate->total;
    rate->n++;
}

/* Returns the counter's rate per second over the window ending at
 * 'now_ms'. */
double
lb_rate_get(const struct lb_rate *rate, long long int now_ms)
{
    long long int start = now_ms - rate->window_ms;

    if (rate->n < 2 || sample(rate, rate->n - 1)->time_ms <= start) {
        return 0;
    }

    size_t base = 0;
    while (base + 2 < rate->n && sample(rate, base + 1)->time_ms <= start) {
        base++;
    }

    const struct lb_rate_sample *a = sample(rate, base);
    const struct lb_rate_sample *b = sample(rate, rate->n - 1);
    if (b->time_ms <= a->time_ms) {
        return 0;
    }
    return (double) (b->total - a->total) * 1000.0
           / (b->time_ms - a->time_ms);
}
