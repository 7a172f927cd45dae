#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

extern char** environ;

namespace imgfetch::test {

using namespace std::chrono_literals;

// How a child process ended: `code` when it exited, `signal` when a signal killed it.
struct ExitStatus {
    int code = -1;  // exit code; -1 when a signal killed it
    int signal = 0; // the signal that killed it; 0 when it exited

    friend bool operator==(const ExitStatus&, const ExitStatus&) = default;
};

inline ExitStatus exited_with(int code) {
    return {code, 0};
}

inline std::ostream& operator<<(std::ostream& out, const ExitStatus& status) {
    if (status.signal != 0) {
        return out << "killed by signal " << status.signal;
    }
    return out << "exit code " << status.code;
}

// Checks `condition` every few milliseconds until it holds or `deadline` passes; returns
// whether it held. For conditions nothing can notify us of (a file's content, another
// process's state). The deadline is a failure bound, never the expected wait.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds deadline = 10s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
        if (condition()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        std::this_thread::sleep_for(2ms); // a polling interval, not a synchronisation
    }
}

// How to start a ChildProcess, beyond its command line and files.
struct ChildSetup {
    // Its own process group (its pid is the group's id), so that stop() and the destructor
    // also reach what it forks (a daemon's workers) when it does not end by itself.
    bool own_process_group = false;
    // Changes to our environment for the child only: a value sets the variable, std::nullopt
    // removes it. Never changes the test process's own environment.
    std::map<std::string, std::optional<std::string>> environment;
};

// A child process started with posix_spawn, its stdin read from a file (or FIFO), its stdout
// and stderr written to files, no other descriptor inherited: the one way the tests start a
// process (the imgfetch executable through run_process.hpp, a shell, or a daemon such as nginx
// or squid through loopback_daemon.hpp). It starts with
// the default disposition for every signal a program may care about and an empty signal mask,
// like a command started from a shell (the test binary ignores SIGPIPE, which a child would
// otherwise inherit), with our environment plus the changes in Setup::environment. Owned and
// used by one test thread. The destructor kills (SIGKILL) and reaps a child that is still
// running, with its process group when it has its own, so a failing test never leaves a process
// behind; stop() is the graceful way (SIGTERM first).
class ChildProcess {
public:
    struct Io {
        std::string stdin_path = "/dev/null";
        std::filesystem::path stdout_path;
        std::filesystem::path stderr_path;
    };

    using Setup = ChildSetup;

    // argv[0] is the program's path. Throws std::system_error when the spawn fails.
    ChildProcess(const std::vector<std::string>& argv, Io io, const Setup& setup = {})
        : m_io(std::move(io)), m_own_group(setup.own_process_group) {
        std::vector<std::string> storage = argv;
        std::vector<char*> raw;
        for (std::string& arg : storage) {
            raw.push_back(arg.data());
        }
        raw.push_back(nullptr);
        std::vector<std::string> environment = environment_with(setup.environment);
        std::vector<char*> raw_environment;
        for (std::string& entry : environment) {
            raw_environment.push_back(entry.data());
        }
        raw_environment.push_back(nullptr);

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, m_io.stdin_path.c_str(), O_RDONLY,
                                         0);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, m_io.stdout_path.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, m_io.stderr_path.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
        // Nothing else of ours leaks into the child (the test server's sockets, say).
        posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
#endif

        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        sigset_t defaults;
        sigemptyset(&defaults);
        for (const int sig : {SIGINT, SIGTERM, SIGPIPE, SIGXFSZ, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
                              SIGCHLD, SIGWINCH, SIGALRM, SIGIO}) {
            sigaddset(&defaults, sig);
        }
        sigset_t empty;
        sigemptyset(&empty);
        posix_spawnattr_setsigdefault(&attributes, &defaults);
        posix_spawnattr_setsigmask(&attributes, &empty);
        short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
        if (m_own_group) {
            posix_spawnattr_setpgroup(&attributes, 0);
            flags |= POSIX_SPAWN_SETPGROUP;
        }
        posix_spawnattr_setflags(&attributes, flags);

        const int rc =
            posix_spawn(&m_pid, raw[0], &actions, &attributes, raw.data(), raw_environment.data());
        posix_spawnattr_destroy(&attributes);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            throw std::system_error(rc, std::generic_category(), "posix_spawn " + argv[0]);
        }
        // Not reaped yet, so the pid cannot have been reused. Without pidfds (old kernels,
        // some sandboxes) wait_for_exit() falls back to polling waitpid(WNOHANG).
        // (Debian 12's <sys/pidfd.h> lacks extern "C", hence the raw system call.)
        m_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, m_pid, 0));
    }

    ~ChildProcess() {
        if (!m_status) {
            kill_unreaped(SIGKILL);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
        }
        if (m_pidfd >= 0) {
            ::close(m_pidfd);
        }
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const {
        return m_pid;
    }

    // Sends `sig` to a child that has not been reaped (so the pid is still ours).
    void send(int sig) const {
        if (m_status) {
            throw std::logic_error("ChildProcess::send after the child was reaped");
        }
        if (::kill(m_pid, sig) != 0) {
            throw std::system_error(errno, std::generic_category(), "kill");
        }
    }

    // How the child ended, once it has; std::nullopt when it is still running after
    // `deadline`.
    std::optional<ExitStatus> wait_for_exit(std::chrono::milliseconds deadline = 10s) {
        if (m_status) {
            return m_status;
        }
        if (m_pidfd < 0) {
            eventually([this] { return reap(WNOHANG); }, deadline);
            return m_status;
        }
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (!reap(WNOHANG)) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (left <= 0ms) {
                break;
            }
            // The pidfd turns readable when the child ends; EINTR or a spurious wake loops.
            pollfd pfd{m_pidfd, POLLIN, 0};
            ::poll(&pfd, 1, static_cast<int>(left.count()) + 1);
        }
        return m_status;
    }

    // Whether the child has ended (reaps it if so). Never blocks.
    bool has_exited() {
        return reap(WNOHANG);
    }

    // SIGKILL, then wait: for a child that must not outlive this point (a "crash").
    ExitStatus kill_and_wait() {
        if (!m_status) {
            kill_unreaped(SIGKILL);
            reap(0);
        }
        return *m_status;
    }

    // The graceful end: SIGTERM, then up to `grace` for the child to end by itself; one still
    // running then is killed (SIGKILL, with its process group when it has its own). Returns
    // how it ended. Does nothing more to a child already reaped.
    ExitStatus stop(std::chrono::milliseconds grace = 10s) {
        if (!m_status) {
            ::kill(m_pid, SIGTERM);
            if (!wait_for_exit(grace)) {
                return kill_and_wait();
            }
        }
        return *m_status;
    }

    // What the child has written so far.
    std::string out() const {
        return read_file(m_io.stdout_path);
    }
    std::string err() const {
        return read_file(m_io.stderr_path);
    }

    // Waits until the child's stderr contains `text`; false after `deadline` or once the
    // child has ended without writing it.
    bool wait_for_stderr(std::string_view text, std::chrono::milliseconds deadline = 10s) {
        bool found = false;
        eventually(
            [&] {
                // Checked first: once it has ended, everything it wrote is in the file.
                const bool ended = has_exited();
                found = err().find(text) != std::string::npos;
                return found || ended;
            },
            deadline);
        return found;
    }

private:
    // Our environment with `changes` applied, as NAME=VALUE entries.
    static std::vector<std::string>
    environment_with(const std::map<std::string, std::optional<std::string>>& changes) {
        std::vector<std::string> entries;
        for (char** entry = environ; *entry != nullptr; ++entry) {
            const std::string_view text(*entry);
            if (!changes.contains(std::string(text.substr(0, text.find('='))))) {
                entries.emplace_back(text);
            }
        }
        for (const auto& [name, value] : changes) {
            if (value) {
                entries.push_back(name + "=" + *value);
            }
        }
        return entries;
    }

    // Sends `sig` to the child, or to its whole process group when it has its own. Only
    // before the child is reaped: until then its pid, and so the group's id, are still ours.
    void kill_unreaped(int sig) const {
        ::kill(m_own_group ? -m_pid : m_pid, sig);
    }

    // Returns whether the child has ended; `options` is 0 (block) or WNOHANG.
    bool reap(int options) {
        if (m_status) {
            return true;
        }
        int status = 0;
        pid_t pid = 0;
        do {
            pid = ::waitpid(m_pid, &status, options);
        } while (pid < 0 && errno == EINTR);
        if (pid != m_pid) {
            return false;
        }
        m_status =
            WIFEXITED(status) ? exited_with(WEXITSTATUS(status)) : ExitStatus{-1, WTERMSIG(status)};
        return true;
    }

    Io m_io;
    bool m_own_group = false;
    pid_t m_pid = -1;
    int m_pidfd = -1;
    std::optional<ExitStatus> m_status; // set once reaped
};

// Where the files of one child go: `scratch/NAME.stdout` and `scratch/NAME.stderr`.
inline ChildProcess::Io child_io(const std::filesystem::path& scratch, const std::string& name,
                                 const std::string& stdin_path = "/dev/null") {
    return {stdin_path, scratch / (name + ".stdout"), scratch / (name + ".stderr")};
}

// The full path of `program` on $PATH (/usr/bin:/bin when it is unset): the first executable
// regular file of that name. Nothing when there is none.
inline std::optional<std::string> find_on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path == nullptr ? "/usr/bin:/bin" : path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::filesystem::path candidate = std::filesystem::path(dir) / program;
        std::error_code ec;
        if (!dir.empty() && std::filesystem::is_regular_file(candidate, ec) &&
            ::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
    }
    return std::nullopt;
}

} // namespace imgfetch::test
