import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { AppProvider, createQueryClient } from './app/provider';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppProvider client={createQueryClient()}>
      <App />
    </AppProvider>
  </StrictMode>,
);
