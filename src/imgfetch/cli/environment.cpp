#include "imgfetch/cli/environment.hpp"

#include <CLI/CLI.hpp>

#include <cctype>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "imgfetch/cli/help.hpp"
#include "imgfetch/transfer/proxy_env.hpp"
#include "imgfetch/util/text_escape.hpp"

namespace imgfetch {

namespace {

constexpr const char* k_env_prefix = "IMGFETCH_";

// "retry-max-wait" -> "IMGFETCH_RETRY_MAX_WAIT".
std::string env_name_for(const std::string& long_name) {
    std::string name = k_env_prefix;
    for (const char c : long_name) {
        name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return name;
}

// CLI11 (2.1) reads the config file before the environment and each fills only options
// still unset, so the file would win over the environment. This formatter drops the file's
// entries for options whose environment variable is set: the environment then fills them,
// and the command line still beats both. Precedence: command line > environment > file.
class EnvironmentFirstConfig : public CLI::ConfigTOML {
public:
    explicit EnvironmentFirstConfig(const CLI::App& app) : m_app(app) {}

    std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
        std::vector<CLI::ConfigItem> entries = CLI::ConfigTOML::from_config(input);
        std::erase_if(entries, [this](const CLI::ConfigItem& item) {
            if (!item.parents.empty()) {
                return false; // unknown sections are reported by CLI11 as usual
            }
            const CLI::Option* option = m_app.get_option_no_throw("--" + item.name);
            if (option == nullptr || option->get_envname().empty()) {
                return false;
            }
            const char* value = std::getenv(option->get_envname().c_str());
            return value != nullptr && *value != '\0';
        });
        return entries;
    }

private:
    const CLI::App& m_app;
};

const char* nonempty_env(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    return value != nullptr && *value != '\0' ? value : nullptr;
}

// Options whose values may be secrets (a password, an Authorization or Cookie header): their
// variables are named in messages, their values never shown.
bool holds_secret(const CLI::Option& option) {
    const auto& names = option.get_lnames();
    return !names.empty() && (names.front() == "user" || names.front() == "header");
}

} // namespace

std::string bind_environment(CLI::App& app) {
    for (CLI::Option* option : app.get_options()) {
        const auto& names = option->get_lnames();
        if (names.empty() || names.front() == "help" || names.front() == "version" ||
            names.front() == "config") {
            continue;
        }
        std::string bound = env_name_for(names.front());
        for (std::size_t i = 1; i < names.size(); ++i) {
            const std::string alias = env_name_for(names[i]);
            const char* alias_value = nonempty_env(alias);
            if (alias_value == nullptr) {
                continue;
            }
            const char* bound_value = nonempty_env(bound);
            if (bound_value != nullptr && std::string_view(bound_value) != alias_value) {
                std::string conflict = "the environment sets both ";
                conflict += bound;
                conflict += "=" + printable(bound_value);
                conflict += " and " + alias;
                conflict += "=" + printable(alias_value);
                conflict += "; unset one";
                return conflict;
            }
            bound = alias;
        }
        option->envname(bound);
    }
    return {};
}

std::shared_ptr<CLI::Config> environment_first_config(const CLI::App& app) {
    return std::make_shared<EnvironmentFirstConfig>(app);
}

void print_environment_options(const CLI::App& app) {
    for (const CLI::Option* option : options_in_help_order(app)) {
        const std::string& name = option->get_envname();
        const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
        if (value != nullptr && *value != '\0') {
            std::string shown;
            if (holds_secret(*option)) {
                shown = "(not shown: a secret)";
            } else {
                // A proxy URL's password never shows (IMGFETCH_PROXY=http://user:***@host).
                shown = printable(name == "IMGFETCH_PROXY" ? redact_proxy_credentials(value)
                                                           : std::string(value));
            }
            std::cerr << "imgfetch: note: the environment sets " << name << "=" << shown << "\n";
        }
    }
}

} // namespace imgfetch
