/** A minimal session description that passes validation: v=0 first and a DTLS fingerprint. */
export function fakeSdp(tag: string): string {
  const fingerprint = Array.from({ length: 32 }, (_, i) => ((i * 7 + tag.length) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return [
    'v=0',
    `o=- ${1000 + tag.length} 2 IN IP4 127.0.0.1`,
    `s=${tag}`,
    't=0 0',
    'a=group:BUNDLE 0',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    'a=mid:0',
    `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:actpass',
    'a=sctp-port:5000',
    '',
  ].join('\r\n');
}

export const HOST_CANDIDATE = 'candidate:842163049 1 udp 1677729535 127.0.0.1 53705 typ host generation 0 ufrag 4ZcD network-cost 999';
