import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'bittorrent',
    include: ['test/**/*.test.ts'],
    // bittorrent-tracker's client and webtorrent import WebRTC (node-datachannel, native, not
    // buildable offline, removed by the root pnpm.overrides) for browser peers only: run them
    // through Vite so the import can be stubbed. torrent-discovery is how webtorrent reaches
    // bittorrent-tracker.
    server: {
      deps: {
        inline: [
          'bittorrent-tracker',
          '@thaunknown/simple-peer',
          'webtorrent',
          'torrent-discovery',
        ],
      },
    },
    alias: {
      'webrtc-polyfill': fileURLToPath(new URL('./test/interop/webrtc-stub.ts', import.meta.url)),
    },
  },
});
