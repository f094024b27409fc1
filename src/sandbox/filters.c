/* SPDX-License-Identifier: MIT */
/* sandbox/filters.c: the seccomp allow-lists, one per thread class, each entry naming its caller. */
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/futex.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <seccomp.h>

#include "sandbox/sandbox.h"
#include "sandbox/rules.h"

/*
 * How to read an entry: ALLOW(name) allows the syscall with any arguments;
 * the other macros add argument checks (rules.h).  Each entry's comment
 * names the code that makes the call.  Adding one: docs/seccomp.md.
 */

/* Every thread: glibc, pthreads and logging. */
#define COMMON_RULES \
	/* log_msg() (util/log.c), serial output, eventfd signalling */		\
	ALLOW(write),								\
	/* pthread mutexes, condition variables, pthread_join(), stdio locks */	\
	FUTEX(FUTEX_WAIT), FUTEX(FUTEX_WAKE),					\
	FUTEX(FUTEX_WAIT_BITSET), FUTEX(FUTEX_WAKE_BITSET),			\
	/* malloc/free: arenas and large blocks; never executable memory */	\
	NO_EXEC(mmap, 2), NO_EXEC(mprotect, 2), ALLOW(munmap), ALLOW(brk),	\
	/* free() trimming an arena, glibc freeing a finished thread's stack */	\
	ARG_EQ(madvise, 2, MADV_DONTNEED),					\
	/* pthread_sigmask() in vm_run(); glibc blocks signals in pthread_kill */ \
	ALLOW(rt_sigprocmask),							\
	/* return from the vCPU kick handler (core/vm.c kick_handler) */	\
	ALLOW(rt_sigreturn),							\
	/* kernel restarting a syscall interrupted by the kick signal */	\
	ALLOW(restart_syscall),							\
	/* pthread_kill() in vcpu_kick(): glibc calls getpid/gettid, then tgkill; \
	 * abort() sends SIGABRT the same way */				\
	ALLOW(getpid), ALLOW(gettid),						\
	ARG_EQ(tgkill, 2, SANDBOX_KICK_SIGNAL), ARG_EQ(tgkill, 2, SIGABRT),	\
	/* now_ns() (util/log.c) and the RTC (dev/rtc.c) when the vDSO falls back */ \
	ALLOW(clock_gettime),							\
	/* a thread returning (vCPU, API) and the process exiting */		\
	ALLOW(exit), ALLOW(exit_group)

/* VMM thread: the event loop (event/loop.c) and teardown after it. */
static const struct sandbox_rule vmm_rules[] = {
	COMMON_RULES,
	/* loop_run() */
	ALLOW(epoll_wait),
	/* loop_add_fd()/loop_del_fd(): console stdin at EOF, devices activated by the guest */
	ALLOW(epoll_ctl),
	/* on_stop() stop eventfd, console on_input() stdin, on_signal() signalfd */
	ALLOW(read),
	/* vm_destroy(), console_detach(), api_server_stop(): closing fds at the end */
	ALLOW(close),
	/* api_server_stop() (api/server.c): removes the API socket at exit */
	ALLOW(unlink),
	/* vm_irq_line() from serial_input() (console to COM1) */
	IOCTL(KVM_IRQ_LINE),
	/* virtio_dev_destroy() (virtio/mmio.c) at teardown: deassign ioeventfds, irqfds */
	IOCTL(KVM_IOEVENTFD), IOCTL(KVM_IRQFD),
	/* virtio-blk sync engine (virtio/blk/blk.c): reads, writes, write-zeroes
	 * fallback, flush, discard/write-zeroes */
	ALLOW(preadv), ALLOW(pwritev), ALLOW(pwrite64), ALLOW(fdatasync), ALLOW(fallocate),
	/* virtio-blk io_uring engine: submit and reap */
	ALLOW(io_uring_enter),
	/* virtio-net (virtio/net/net.c): frames to the TAP (reads are read()) */
	ALLOW(writev),
	/* virtio-vsock (virtio/vsock/vsock.c), Firecracker's hybrid model: host
	 * clients on the UDS (accept4, the CONNECT line via recvfrom), streams
	 * the guest opens to <uds>_<port> (an AF_UNIX socket + connect), data in
	 * both directions (readv, sendmsg) and half-close (shutdown) */
	ALLOW(accept4), ARG_EQ(socket, 0, AF_UNIX), ALLOW(connect), ALLOW(recvfrom),
	ALLOW(readv), ALLOW(sendmsg), ALLOW(shutdown),
	/* virtio-rng (virtio/rng.c): guest entropy */
	ALLOW(getrandom),
	/* rate-limiter timers (blk, net, rng), balloon statistics, metrics period
	 * (core/vmm.c); relative times only */
	ARG_EQ(timerfd_settime, 1, 0),
	/* console_detach(): tcsetattr() restores the terminal */
	IOCTL(TCGETS), IOCTL(TCSETS), IOCTL(TCSETSW), IOCTL(TCSETSF),
	/*
	 * Snapshot creation (snapshot/vm_snap.c snap_create) runs here on a
	 * paused VM, as PUT /snapshot/create does in Firecracker: it opens the
	 * state file, the memory file and /proc/self/pagemap (which pages the
	 * guest touched), sizes and fills the memory file, copies untouched
	 * ranges of a restored VM's file, and reads every vCPU's and the VM's
	 * state.  PATCH /drives/{id} with a path_on_host (virtio_blk_update()
	 * in virtio/blk/blk.c) opens, fstats and sizes (lseek) the new backing
	 * file here too, and fdatasyncs and closes the old one.  openat is the
	 * widest entry on this list; the jailer's chroot bounds what it can reach.
	 */
	ALLOW(openat), ALLOW(ftruncate), ALLOW(pread64), ALLOW(lseek),
	ALLOW(copy_file_range), ALLOW(fstat), ALLOW(newfstatat),
	IOCTL(KVM_GET_REGS), IOCTL(KVM_GET_SREGS), IOCTL(KVM_GET_MSRS),
	IOCTL(KVM_GET_MSR_INDEX_LIST), IOCTL(KVM_GET_XSAVE), IOCTL(KVM_GET_XSAVE2),
	IOCTL(KVM_GET_XCRS), IOCTL(KVM_GET_LAPIC), IOCTL(KVM_GET_VCPU_EVENTS),
	IOCTL(KVM_GET_MP_STATE), IOCTL(KVM_GET_DEBUGREGS), IOCTL(KVM_GET_CPUID2),
	IOCTL(KVM_GET_TSC_KHZ), IOCTL(KVM_CHECK_EXTENSION), IOCTL(KVM_GET_IRQCHIP),
	IOCTL(KVM_GET_PIT2), IOCTL(KVM_GET_CLOCK), IOCTL(KVM_GET_DIRTY_LOG),
};

/* API thread: the HTTP server on the Unix socket (src/api/). */
static const struct sandbox_rule api_rules[] = {
	COMMON_RULES,
	/* server loop: new connections on the listening socket */
	ALLOW(accept4),
	/* server loop: requests and responses on a connection */
	ALLOW(read), ALLOW(recvfrom), ALLOW(sendto),
	/* server loop: waiting on the listening socket and its connections */
	ALLOW(epoll_wait), ALLOW(epoll_ctl),
	/* server loop: closing a finished connection */
	ALLOW(close),
};

/* vCPU threads: KVM_RUN and synchronous PIO/MMIO exit handling (kvm/vcpu.c). */
static const struct sandbox_rule vcpu_rules[] = {
	COMMON_RULES,
	/* vcpu_thread(): run the guest */
	IOCTL(KVM_RUN),
	/* report_error_exit() and a triple fault: rip for the message */
	IOCTL(KVM_GET_REGS),
	/* vm_irq_line() from device register writes (serial, RTC) */
	IOCTL(KVM_IRQ_LINE),
	/* virtio status writes (virtio/mmio.c status_write()) run the device's
	 * activate/reset on this thread: virtio-net sets TAP offloads on
	 * activation; a virtio-blk reset waits for in-flight io_uring requests;
	 * resets disarm the rate-limiter timers */
	IOCTL(TUNSETOFFLOAD),
	ALLOW(io_uring_enter),
	/* ...and the rate-limiter timers */
	ARG_EQ(timerfd_settime, 1, 0),
	/* a virtio-vsock reset (virtio/vsock/vsock.c vsock_reset() -> conn_free()
	 * -> close_host()) closes the host sides of open streams: loop_del_fd()
	 * takes them off the event loop, then close().  Linux resets the device
	 * when its driver probes, and a host client may already be connected */
	ARG_EQ(epoll_ctl, 1, EPOLL_CTL_DEL), ALLOW(close),
};

const struct sandbox_rule *sandbox_rules(enum sandbox_class cls, size_t *n)
{
	switch (cls) {
	case SANDBOX_VMM:
		*n = ARRAY_SIZE(vmm_rules);
		return vmm_rules;
	case SANDBOX_API:
		*n = ARRAY_SIZE(api_rules);
		return api_rules;
	case SANDBOX_VCPU:
		*n = ARRAY_SIZE(vcpu_rules);
		return vcpu_rules;
	default:
		*n = 0;
		return NULL;
	}
}
