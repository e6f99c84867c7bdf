// forkd: the server program, built on the public API like any embedding program. It serves
// forkd's own routes only: the status page and health check, the tutorial's demo (while no
// `root` is set) and static files, each configured by flags and the TOML file.
#include <forkd/forkd.hpp>

int main(int argc, char** argv) {
    forkd::App app;
    app.mount(forkd::Builtin::status);
    // The demo's exact "/" before the files' prefix "/": with both on, the demo keeps "/".
    app.mount(forkd::Builtin::demo);
    app.mount(forkd::Builtin::static_files);
    return forkd::run(argc, argv, app);
}
