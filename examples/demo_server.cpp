// demo_server: a loopback HTTP server that serves generated PNG images slowly, so imgfetch's
// sequential and concurrent modes can be compared on any machine without touching the network.
//
//   demo_server [--port N] [--images N] [--latency-ms MS] [--list FILE]
//
// It binds 127.0.0.1 only, writes one URL per image to FILE (if given), prints exactly one line
// "listening on http://127.0.0.1:PORT" and serves until SIGINT or SIGTERM.

#include <httplib.h>
#include <zlib.h>

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr const char* k_host = "127.0.0.1";
constexpr int k_worker_threads = 64;
constexpr std::size_t k_keep_alive_max_count = 1000;
constexpr int k_listen_backlog = 256;
// Sent by main to the signal thread to tell it the server has already returned.
constexpr int k_wake_signal = SIGUSR1;

struct Options {
    int port = 0;
    int images = 40;
    int latency_ms = 100;
    std::string list_file;
};

constexpr std::string_view k_usage =
    "usage: demo_server [--port N] [--images N] [--latency-ms MS] [--list FILE]\n"
    "  --port N         port on 127.0.0.1; 0 picks any free port (default 0)\n"
    "  --images N       number of generated PNG images, 1..100000 (default 40)\n"
    "  --latency-ms MS  delay before each image response, 0..60000 (default 100)\n"
    "  --list FILE      write the image URLs to FILE, one per line\n";

int parse_int(std::string_view name, std::string_view text, int min, int max) {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
        throw std::invalid_argument(std::string(name) + ": expected an integer in [" +
                                    std::to_string(min) + ", " + std::to_string(max) + "], got '" +
                                    std::string(text) + "'");
    }
    return value;
}

// Accepts "--name VALUE" and "--name=VALUE". Returns nullopt when --help was asked for.
std::optional<Options> parse_command_line(int argc, char** argv) {
    Options options;
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view name = args[i];
        std::optional<std::string_view> value;
        if (name == "-h" || name == "--help") {
            return std::nullopt;
        }
        if (const auto eq = name.find('='); eq != std::string_view::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (name != "--port" && name != "--images" && name != "--latency-ms" && name != "--list") {
            throw std::invalid_argument("unknown argument '" + std::string(args[i]) + "'");
        }
        if (!value) {
            if (i + 1 >= args.size()) {
                throw std::invalid_argument(std::string(name) + ": missing value");
            }
            value = args[++i];
        }
        if (name == "--port") {
            options.port = parse_int(name, *value, 0, 65535);
        } else if (name == "--images") {
            options.images = parse_int(name, *value, 1, 100000);
        } else if (name == "--latency-ms") {
            options.latency_ms = parse_int(name, *value, 0, 60000);
        } else {
            options.list_file = std::string(*value);
        }
    }
    return options;
}

// --- PNG encoding -------------------------------------------------------------------------------

void append_u32_be(std::string& out, std::uint32_t value) {
    out.push_back(static_cast<char>((value >> 24) & 0xffU));
    out.push_back(static_cast<char>((value >> 16) & 0xffU));
    out.push_back(static_cast<char>((value >> 8) & 0xffU));
    out.push_back(static_cast<char>(value & 0xffU));
}

void append_chunk(std::string& png, std::string_view type, std::string_view data) {
    append_u32_be(png, static_cast<std::uint32_t>(data.size()));
    const std::size_t type_start = png.size();
    png.append(type);
    png.append(data);
    // The CRC covers the chunk type and data, not the length.
    const auto* crc_bytes = reinterpret_cast<const Bytef*>(png.data() + type_start);
    const auto crc =
        crc32(crc32(0L, Z_NULL, 0), crc_bytes, static_cast<uInt>(png.size() - type_start));
    append_u32_be(png, static_cast<std::uint32_t>(crc));
}

// Encodes 8-bit RGB pixels (row-major, 3 bytes each) as a complete PNG file.
std::string encode_png(std::uint32_t width, std::uint32_t height,
                       const std::vector<std::uint8_t>& rgb) {
    // Every scanline starts with its filter type; 0 ("None") keeps the encoder trivial.
    const std::size_t stride = std::size_t{width} * 3;
    std::vector<Bytef> raw;
    raw.reserve((stride + 1) * height);
    for (std::uint32_t y = 0; y < height; ++y) {
        raw.push_back(0);
        const auto row = rgb.begin() + static_cast<std::ptrdiff_t>(y * stride);
        raw.insert(raw.end(), row, row + static_cast<std::ptrdiff_t>(stride));
    }

    uLongf compressed_size = compressBound(static_cast<uLong>(raw.size()));
    std::string compressed(compressed_size, '\0');
    if (compress(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size, raw.data(),
                 static_cast<uLong>(raw.size())) != Z_OK) {
        throw std::runtime_error("zlib compress() failed");
    }
    compressed.resize(compressed_size);

    std::string ihdr;
    append_u32_be(ihdr, width);
    append_u32_be(ihdr, height);
    ihdr.push_back(8); // bit depth
    ihdr.push_back(2); // colour type: truecolour RGB
    ihdr.push_back(0); // compression: deflate
    ihdr.push_back(0); // filter method: adaptive
    ihdr.push_back(0); // interlace: none

    std::string png("\x89PNG\r\n\x1a\n", 8);
    append_chunk(png, "IHDR", ihdr);
    append_chunk(png, "IDAT", compressed);
    append_chunk(png, "IEND", {});
    return png;
}

// Image `index` gets its own size (32..256 px per side) and its own diagonal colour gradient.
// The first pixel carries the index itself, so no two images are ever byte-identical.
std::string make_image(int index) {
    const auto n = static_cast<std::uint32_t>(index);
    const std::uint32_t width = 32 + (n * 37) % 225;
    const std::uint32_t height = 32 + (n * 53 + 17) % 225;
    const std::uint32_t phase = n * 47;

    std::vector<std::uint8_t> rgb(std::size_t{width} * height * 3);
    for (std::uint32_t y = 0; y < height; ++y) {
        for (std::uint32_t x = 0; x < width; ++x) {
            const std::size_t at = (std::size_t{y} * width + x) * 3;
            rgb[at] = static_cast<std::uint8_t>(x * 255 / width + phase);
            rgb[at + 1] = static_cast<std::uint8_t>(y * 255 / height + phase * 3);
            rgb[at + 2] = static_cast<std::uint8_t>((x + y) * 127 / (width + height) + phase * 7);
        }
    }
    rgb[0] = static_cast<std::uint8_t>(n & 0xffU);
    rgb[1] = static_cast<std::uint8_t>((n >> 8) & 0xffU);
    rgb[2] = static_cast<std::uint8_t>((n >> 16) & 0xffU);
    return encode_png(width, height, rgb);
}

// --- signal handling ----------------------------------------------------------------------------

// Stops the server when SIGINT or SIGTERM arrives. The signals must already be blocked in every
// thread (block them in main before any thread exists), so only this thread's sigwait sees them.
class StopOnSignal {
public:
    explicit StopOnSignal(httplib::Server& server)
        : m_server(server), m_thread([this] { run(); }) {}
    StopOnSignal(const StopOnSignal&) = delete;
    StopOnSignal& operator=(const StopOnSignal&) = delete;

    // Call once listen_after_bind() has returned, for whatever reason; joins the signal thread.
    ~StopOnSignal() {
        {
            // Guards m_server_returned, which run() reads both after sigwait and in its retry loop.
            const std::lock_guard lock(m_mutex);
            m_server_returned = true;
        }
        // Notify outside the lock: the woken thread would only block on it again.
        m_returned.notify_all();
        // If run() is still in sigwait, this wakes it; if it has finished, the signal is dropped.
        pthread_kill(m_thread.native_handle(), k_wake_signal);
        m_thread.join();
    }

private:
    static sigset_t waited_signals() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, k_wake_signal);
        return set;
    }

    void run() {
        const sigset_t set = waited_signals();
        for (;;) {
            int signal_number = 0;
            if (sigwait(&set, &signal_number) != 0) {
                return;
            }
            // Guards m_server_returned.
            std::unique_lock lock(m_mutex);
            if (signal_number != k_wake_signal) {
                // stop() is a no-op until listen_after_bind() has marked the server running, so a
                // signal that lands just before that is retried until the server has returned.
                while (!m_server_returned) {
                    m_server.stop();
                    m_returned.wait_for(lock, std::chrono::milliseconds(20),
                                        [this] { return m_server_returned; });
                }
                return;
            }
            // A stray SIGUSR1 from outside must not leave SIGINT/SIGTERM unanswered.
            if (m_server_returned) {
                return;
            }
        }
    }

    httplib::Server& m_server;
    std::mutex m_mutex;
    std::condition_variable m_returned;
    bool m_server_returned = false; // guarded by m_mutex
    std::thread m_thread;           // last: it starts running in the constructor
};

int run(const Options& options) {
    // Encode every image up front so each request costs only the configured latency.
    std::vector<std::string> images;
    images.reserve(static_cast<std::size_t>(options.images));
    for (int i = 0; i < options.images; ++i) {
        images.push_back(make_image(i));
    }

    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(k_worker_threads); };
    server.set_keep_alive_max_count(k_keep_alive_max_count);
    // Headers and body go out in separate writes; with Nagle's algorithm on, every response after
    // the first on a keep-alive connection would wait ~40 ms for the client's delayed ACK.
    server.set_tcp_nodelay(true);

    const auto latency = std::chrono::milliseconds(options.latency_ms);
    server.Get(R"(/img/(\d+)\.png)", [&images, latency](const httplib::Request& request,
                                                        httplib::Response& response) {
        const std::string& digits = request.matches[1].str();
        std::size_t index = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
        if (ec != std::errc{} || end != digits.data() + digits.size() || index >= images.size()) {
            response.status = 404;
            response.set_content("no such image\n", "text/plain");
            return;
        }
        // The server plays the slow remote host; a handler thread sleeping is the point.
        std::this_thread::sleep_for(latency);
        response.set_content(images[index], "image/png");
    });
    server.Get("/health", [](const httplib::Request&, httplib::Response& response) {
        response.set_content("ok", "text/plain");
    });

    // cpp-httplib 0.11 listens with a backlog of 5 (compiled into Debian's shared library), so a
    // burst of 32 clients connecting at once could overflow it and stall a second on SYN
    // retransmits. Remember the listening socket so its backlog can be raised after binding.
    socket_t listen_socket = INVALID_SOCKET;
    server.set_socket_options([&listen_socket](socket_t fd) {
        // Not httplib::default_socket_options(): it also sets SO_REUSEPORT, which would let a
        // second server silently share an explicit --port instead of failing to bind.
        const int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        listen_socket = fd;
    });

    int port = options.port;
    if (port == 0) {
        port = server.bind_to_any_port(k_host);
        if (port < 0) {
            std::cerr << "demo_server: cannot bind " << k_host << " to any port\n";
            return 1;
        }
    } else if (!server.bind_to_port(k_host, port)) {
        std::cerr << "demo_server: cannot bind " << k_host << ":" << port << "\n";
        return 1;
    }

    // Linux accepts a second listen() on a listening socket and applies the new backlog.
    if (listen_socket != INVALID_SOCKET && ::listen(listen_socket, k_listen_backlog) != 0) {
        std::cerr << "demo_server: warning: cannot raise the listen backlog\n";
    }

    const std::string base = "http://" + std::string(k_host) + ":" + std::to_string(port);
    if (!options.list_file.empty()) {
        std::ofstream list(options.list_file, std::ios::trunc);
        for (int i = 0; i < options.images; ++i) {
            list << base << "/img/" << i << ".png\n";
        }
        list.close();
        if (!list) {
            std::cerr << "demo_server: cannot write " << options.list_file << "\n";
            return 1;
        }
    }

    bool listened = false;
    {
        const StopOnSignal stop_on_signal(server);
        std::cout << "listening on " << base << std::endl;
        listened = server.listen_after_bind();
    }
    if (!listened) {
        std::cerr << "demo_server: server stopped with an error\n";
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    // Block the signals before any thread exists, so every thread inherits the mask and only
    // StopOnSignal's sigwait receives them.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, k_wake_signal);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // A client hanging up mid-response must not kill the server.
    signal(SIGPIPE, SIG_IGN);

    try {
        const std::optional<Options> options = parse_command_line(argc, argv);
        if (!options) {
            std::cout << k_usage;
            return 0;
        }
        return run(*options);
    } catch (const std::invalid_argument& error) {
        std::cerr << "demo_server: " << error.what() << "\n" << k_usage;
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "demo_server: " << error.what() << "\n";
        return 1;
    }
}
