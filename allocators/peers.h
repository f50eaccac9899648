/* peers.h — what the rest of the tree needs to know about the peer strategies (peers.c).
 *
 *   mm_peer_library(s)  the file of the shared library a peer strategy `s` loaded
 *                       (e.g. /usr/lib/x86_64-linux-gnu/libjemalloc.so.2), which can be
 *                       LD_PRELOADed to run a whole program on that peer; NULL when `s` is
 *                       not a peer or its library is unavailable.
 *   mm_peers_reexec(argv) re-executes the program once with the glibc tunable that lets
 *                       jemalloc's library be dlopen'ed (it needs more static TLS than
 *                       glibc reserves by default); returns only when nothing was done. Call
 *                       it first thing in main() of a program that opens peers.
 */
#ifndef MM_PEERS_H
#define MM_PEERS_H

#include "allocators/mm.h"

const char *mm_peer_library(const mm_strategy *s);
void mm_peers_reexec(char **argv);

#endif
