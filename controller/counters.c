/*
 * counters: process-wide counters.  See counters.h.
 */
#include <config.h>
#include "flowlb/counters.h"

struct flowlb_counters flowlb_counters;
