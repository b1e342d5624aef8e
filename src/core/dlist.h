/* An intrusive doubly linked list with a head pointer and a count (newest first): a node
 * embeds a sofa__dlink; SOFA__DLIST_ENTRY turns a link back into its node. Used where a
 * component keeps its running requests so that teardown can cancel them all. */
#ifndef SOFA_CORE_DLIST_H
#define SOFA_CORE_DLIST_H

#include <stddef.h>

typedef struct sofa__dlink {
    struct sofa__dlink *prev, *next;
} sofa__dlink;

typedef struct sofa__dlist {
    sofa__dlink *head;
    size_t n; /* nodes linked */
} sofa__dlist;

/* The node of @p type whose @p member is the link @p link; NULL for a NULL link. */
#define SOFA__DLIST_ENTRY(link, type, member)                                                      \
    ((link) ? (type *)(void *)((char *)(link)-offsetof(type, member)) : (type *)NULL)

/* Link @p e (not on any list) at the head of @p l. */
static inline void sofa__dlist_push(sofa__dlist *l, sofa__dlink *e)
{
    e->prev = NULL;
    e->next = l->head;
    if (l->head)
        l->head->prev = e;
    l->head = e;
    l->n++;
}

/* Unlink @p e from @p l; returns 1, or 0 (and does nothing) when @p e is not linked. */
static inline int sofa__dlist_unlink(sofa__dlist *l, sofa__dlink *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else if (l->head == e)
        l->head = e->next;
    else
        return 0;
    if (e->next)
        e->next->prev = e->prev;
    e->prev = e->next = NULL;
    l->n--;
    return 1;
}

#endif /* SOFA_CORE_DLIST_H */
