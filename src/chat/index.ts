/** Profile A's chat, as the app module, the app's set-up and the health checks use it. */
export { CHAT_BUS } from './chat-bus.lifecycle.js';
export { ChatModule } from './chat.module.js';
export { ChatWsAdapter } from './chat-ws.adapter.js';
