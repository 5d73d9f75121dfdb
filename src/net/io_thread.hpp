#pragma once
/// Internal: which io_context the calling thread runs. The server's I/O threads and the HTTP
/// client's own threads each run one io_context and say so here, so that a client used from
/// such a thread keeps its exchange on that thread's io_context (no hand-off between threads).

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace cx::net::detail {

/// The calling thread's io_context slot (null on threads that run none).
inline boost::asio::io_context*& this_thread_io() noexcept {
  static thread_local boost::asio::io_context* io = nullptr;
  return io;
}

}  // namespace cx::net::detail
