/**
 * Loaded with `node --import` before a README snippet runs in Node: the browser globals the snippet
 * assumes. `RTCPeerConnection` is werift's, held to loopback whatever configuration it is given;
 * `WebSocket` is the `ws` package's.
 */
import { RTCPeerConnection as WeriftPeerConnection } from 'werift';
import WebSocket from 'ws';
import { LOOPBACK_ONLY } from './webrtc';

class LoopbackPeerConnection extends WeriftPeerConnection {
  constructor() {
    super(LOOPBACK_ONLY);
  }
}

Object.assign(globalThis, { RTCPeerConnection: LoopbackPeerConnection, WebSocket });
