/**
 * Stands in for `webrtc-polyfill` (node-datachannel, a native module that cannot be built
 * offline) when bittorrent-tracker's client is loaded in tests. Only WebSocket trackers use
 * WebRTC; the HTTP and UDP paths under test never touch these.
 */
class Unavailable {
  constructor() {
    throw new Error('WebRTC is not available in these tests');
  }
}
export const RTCPeerConnection = Unavailable;
export const RTCSessionDescription = Unavailable;
export const RTCIceCandidate = Unavailable;
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate };
