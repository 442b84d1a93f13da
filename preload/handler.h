#ifndef TCP_HANDLER_H
#define TCP_HANDLER_H
#include <signal.h>
void tcp_trigger_handler(int sig, siginfo_t *si, void *uc);
#endif
