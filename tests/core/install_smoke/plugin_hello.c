/* Built against an installed sofa_libevent by the install test: the plugin's
 * pkg-config file and CMake target must be enough to create and free a table. */
#include <stdio.h>

#include <event2/event.h>
#include <sofa/plugins/libevent.h>
#include <sofa/sofa.h>

int main(void)
{
    struct event_base *base = event_base_new();
    if (base == NULL) {
        return 1;
    }
    sofa_iops *io = NULL;
    int rc = sofa_iops_libevent_new(base, &io);
    printf("sofa_iops_libevent_new: %s\n", sofa_status_name(rc));
    sofa_iops_free(io);
    event_base_free(base);
    return rc == SOFA_OK && io != NULL ? 0 : 1;
}
