/**
 * The range of wire protocol versions waspnest can monitor and select. A server whose range does
 * not overlap this one makes the topology incompatible (the discovery and monitoring specification's
 * `compatible` flag), and selection then fails fast.
 *
 * The minimum is 6 (MongoDB 3.6): the first version that speaks OP_MSG, which is what the
 * connection uses after the handshake. The official driver bundled for tests (mongodb 7.9) needs
 * 9 (MongoDB 4.4); monitoring alone has no reason to be stricter than the protocol. The maximum
 * follows the official driver (29, MongoDB 9.0).
 */
export const MIN_SUPPORTED_WIRE_VERSION = 6;
export const MAX_SUPPORTED_WIRE_VERSION = 29;
/** The MongoDB releases those wire versions correspond to, for error messages. */
export const MIN_SUPPORTED_SERVER_VERSION = '3.6';
export const MAX_SUPPORTED_SERVER_VERSION = '9.0';
