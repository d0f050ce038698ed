/*
 * The pod sandbox's process for the test node's "pause" image.
 *
 * A pod's containers join the namespaces this process holds open, so all it
 * has to do is stay alive, reap any orphan re-parented to it (it is PID 1 of
 * the pod when the pod shares its PID namespace), and leave cleanly when the
 * runtime stops the sandbox. Built with `gcc -static` so the image needs no
 * libc: build-images.sh puts this binary alone into the image.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* SIGINT/SIGTERM: the runtime is tearing the sandbox down; that is success. */
static void on_stop(int sig)
{
	(void)sig;
	_exit(0);
}

/* SIGCHLD: collect every exited child so none stays a zombie. */
static void on_child(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

int main(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return 1;
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
	if (sigaction(SIGCHLD, &sa, NULL) != 0)
		return 2;
	for (;;)
		pause(); /* returns after each handled signal; keep waiting */
}
