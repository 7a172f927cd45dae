#pragma once

#include <vector>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace imgfetch {

// The text around the options in --help (what imgfetch does, examples, configuration, exit
// codes), --version, and the help layout: each option with its placeholder only.
void set_up_help(CLI::App& app);

// app's options in the order --help lists them (a fixed order kept in help.cpp).
std::vector<const CLI::Option*> options_in_help_order(const CLI::App& app);

} // namespace imgfetch
