// Process titles as `ps` shows them ("forkd: worker 3 busy GET /?sleep").
//
// Like nginx and PostgreSQL, forkd writes the title over the memory of argv (and of the
// environment strings that follow it, after moving them to the heap). init() must run in
// main() before anything reads argv or the environment through pointers into that memory.
#pragma once

#include <initializer_list>
#include <string_view>

namespace forkd::os {

void init_process_title(int argc, char** argv);
// Cheap enough to call for every request: one memcpy, no syscall.
void set_process_title(std::string_view title);
// The title made of `parts` back to back ("forkd: ", role, " busy ", method...), written in
// place: no string is built for it.
void set_process_title(std::initializer_list<std::string_view> parts);

}  // namespace forkd::os
