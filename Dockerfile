# Switchboard gateway image: official Node image, production dependencies, the gateway compiled by
# `npm run build` (dist/server/main.js plus the demo bundle), non-root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY client ./client
COPY web ./web
COPY scripts ./scripts
RUN npm run build
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# One process (no npm wrapper), so SIGTERM reaches the gateway and it drains.
CMD ["node", "--enable-source-maps", "dist/server/main.js"]
