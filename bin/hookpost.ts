#!/usr/bin/env node
import { createHookpostApp } from './app';

createHookpostApp().app.synth();
