import { runTransportCompliance } from '@agentsocket/compliance';
import { relaySocketIoFixture, relayWsFixture } from './fixtures.js';

runTransportCompliance(relayWsFixture);
runTransportCompliance(relaySocketIoFixture);
