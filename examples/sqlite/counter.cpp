// sqlite: one database connection per process, opened when the process starts serving.
//
// A SQLite connection must not cross a fork: its file locks belong to the process that took
// them, so a connection opened before the fork and used by two processes corrupts the
// database. forkd's hooks say where each piece goes:
//
//   on_preload       the master, once, before any fork: create the table, close again
//   on_worker_start  each process that runs handlers: open its own connection
//   on_worker_exit   the same process when it leaves: close it
//
// Every process counts in the same file; SQLite's locks make each increment atomic.
//
//     COUNTER_DB=/tmp/counter.db ./counter --listen 127.0.0.1:8080
//     curl http://127.0.0.1:8080/count/bob       # bob 1 (pid 4242)
//     curl http://127.0.0.1:8080/count/bob       # bob 2 (pid 4243)
//
// Build: see CMakeLists.txt, or
//     g++ -O2 counter.cpp $(pkg-config --cflags --libs forkd sqlite3) -o counter
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <forkd/forkd.hpp>

namespace {

sqlite3* db = nullptr;  // this process's connection, between on_worker_start and on_worker_exit

// The database file: $COUNTER_DB, else counter.db in the working directory.
const char* database_path() {
    const char* path = std::getenv("COUNTER_DB");
    return path != nullptr && *path != '\0' ? path : "counter.db";
}

sqlite3* open_database() {
    sqlite3* handle = nullptr;
    if (sqlite3_open(database_path(), &handle) != SQLITE_OK) {
        std::string problem = sqlite3_errmsg(handle);
        sqlite3_close(handle);
        throw std::runtime_error("cannot open " + std::string(database_path()) + ": " + problem);
    }
    // Another process may hold the write lock: wait for it (up to 5 s) instead of failing.
    sqlite3_busy_timeout(handle, 5000);
    return handle;
}

void execute(sqlite3* handle, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(handle, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string problem = error != nullptr ? error : sqlite3_errmsg(handle);
        sqlite3_free(error);
        throw std::runtime_error(problem);
    }
}

// Adds one to the count of `name` and returns the new count: one statement, so one
// transaction, however many processes count at once.
long long count_one(const std::string& name) {
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO counter (name, hits) VALUES (?1, 1)"
                       " ON CONFLICT (name) DO UPDATE SET hits = hits + 1 RETURNING hits",
                       -1, &statement, nullptr);
    sqlite3_bind_text(statement, 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
    long long hits = -1;
    if (sqlite3_step(statement) == SQLITE_ROW) hits = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    // An exception leaving a handler is a 500 for this request (and a line in the error log).
    if (hits < 0) throw std::runtime_error(sqlite3_errmsg(db));
    return hits;
}

}  // namespace

int main(int argc, char** argv) {
    forkd::App app;
    app.on_preload([] {
        sqlite3* handle = open_database();
        // WAL: readers never wait for the writer.
        execute(
            handle,
            "PRAGMA journal_mode = WAL;"
            "CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, hits INTEGER NOT NULL)");
        sqlite3_close(handle);  // before the fork: no worker inherits it
    });
    app.on_worker_start([] { db = open_database(); });
    app.on_worker_exit([] {
        sqlite3_close(db);
        db = nullptr;
    });

    app.get("/count/{name}", [](const forkd::Request& r) {
        const std::string& name = r.param("name");
        long long hits = count_one(name);
        return forkd::Response::text(name + " " + std::to_string(hits) + " (pid " +
                                     std::to_string(::getpid()) + ")\n");
    });
    return forkd::run(argc, argv, app);
}
