// Entry point: applies the theme before the first paint, so the window never flashes the other one,
// then mounts the app.
import { mount } from 'svelte';

import './app.css';
import App from './App.svelte';
import { applyTheme, resolveTheme, storedTheme, systemPrefersDark } from './lib/theme';

applyTheme(resolveTheme(storedTheme(), systemPrefersDark()));

const target = document.getElementById('app');
if (target === null) throw new Error('the page has no #app element');

export default mount(App, { target });
