export type { BrowserSocket, BrowserSocketConstructor } from './browser-transport.js';
export { type WsClientInit, wsConnector } from './client.browser.js';
