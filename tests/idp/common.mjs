/*
 * common.mjs — the process plumbing both test IdPs share (op.mjs, saml.mjs):
 * the config file named on the command line, request bodies, the loopback
 * rule of the control API, and the HTTPS server that says "ready" once it
 * listens (tests/integration/oidc_op.py waits for that line) and exits on
 * SIGTERM/SIGINT.
 */

import fs from 'node:fs';
import https from 'node:https';

/** The JSON config whose path is the first argument. */
export function readConf() {
	return JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
}

/** A request stream's whole body as UTF-8 text. */
export async function readBody(stream) {
	const chunks = [];
	for await (const c of stream) chunks.push(c);
	return Buffer.concat(chunks).toString('utf8');
}

/** Whether the request came from loopback: only the tests may use the control API. */
export function fromLoopback(req) {
	return ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress || '');
}

/** Serve handler over HTTPS on 127.0.0.1:conf.port with conf.cert/conf.key; print "ready"; exit on a signal. */
export function serve(conf, handler) {
	const server = https.createServer({ cert: fs.readFileSync(conf.cert), key: fs.readFileSync(conf.key) }, handler);
	server.listen(conf.port, '127.0.0.1', () => process.stdout.write('ready\n'));
	const shutdown = () => {
		server.close();
		server.closeAllConnections();
		process.exit(0);
	};
	process.on('SIGTERM', shutdown);
	process.on('SIGINT', shutdown);
	return server;
}
