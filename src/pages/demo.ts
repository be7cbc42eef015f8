/** The page served at `/`: what this server is and where to go next. The full demo call lives in client/. */
export function demoPage(graphqlPath: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Switchboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}
code,pre{background:#f3f3f3;border-radius:4px;padding:.1rem .3rem}pre{padding:1rem;overflow:auto}</style></head>
<body>
<h1>Switchboard</h1>
<p>A realtime GraphQL signaling gateway for WebRTC. Peers in a room exchange offers, answers and ICE
candidates through <code>${graphqlPath}</code> over WebSocket (<code>graphql-transport-ws</code>), SSE or HTTP.</p>
<p><a href="${graphqlPath}">Open GraphiQL</a> and run:</p>
<pre>mutation { createSession(room: "demo", name: "alice") { token peerId expiresAt } }</pre>
<p>then put <code>{"Authorization": "Bearer &lt;token&gt;"}</code> in the headers pane and subscribe:</p>
<pre>subscription { signals { __typename cursor ... on Welcome { peers { id } } } }</pre>
<p>Health: <a href="/healthz">/healthz</a> · readiness: <a href="/readyz">/readyz</a></p>
</body>
</html>
`;
}
