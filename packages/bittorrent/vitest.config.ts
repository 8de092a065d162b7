import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bittorrent',
    include: ['test/**/*.test.ts'],
    // bittorrent-tracker's client imports WebRTC (node-datachannel, native, not buildable
    // offline) for WebSocket trackers only: run it through Vite so the import can be stubbed.
    server: { deps: { inline: ['bittorrent-tracker', '@thaunknown/simple-peer'] } },
    alias: {
      'webrtc-polyfill': fileURLToPath(new URL('./test/interop/webrtc-stub.ts', import.meta.url)),
    },
  },
});
