/* peers.h — what the rest of the tree needs to know about the peer strategies (peers.c).
 *
 *   mm_peer_library(s)  the file to LD_PRELOAD so that peer `s` is the process's malloc:
 *                       the file the loader found (e.g. /usr/lib/x86_64-linux-gnu/
 *                       libjemalloc.so.2) in a process where `s` is already in charge, its
 *                       soname (libjemalloc.so.2, looked up as the loader does) elsewhere;
 *                       NULL when `s` is not a peer or is switched off (MMBENCH_UNAVAILABLE).
 */
#ifndef MM_PEERS_H
#define MM_PEERS_H

#include "allocators/mm.h"

const char *mm_peer_library(const mm_strategy *s);

#endif
